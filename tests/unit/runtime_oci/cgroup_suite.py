"""One conformance suite for every ``Cgroup`` driver (containerd's testsuite pattern).

``CgroupSuite`` holds the tests; a subclass named ``Test...`` gives it a ``harness`` fixture:
the driver under test plus how to read back what it wrote and how the kernel answers. The
unit tests run it on fake cgroupfs trees (v1 and v2, a small thread playing the kernel's part
where a file must change by itself), the integration tests on the host's real hierarchies.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from wharf.runtime.cgroups import Cgroup
from wharf.runtime.cgroups.base import wait_until

MIB = 1 << 20
# a process that waits for a line, then touches 16 MiB (charged to its cgroup), says so, waits
ALLOCATE = ("import sys\nsys.stdin.readline()\nb = bytearray(16 << 20)\n"
            "for i in range(0, len(b), 4096):\n    b[i] = 1\nprint('ok', flush=True)\n"
            "sys.stdin.readline()\n")


class Harness(Protocol):
    """A driver under test and its view of the files behind it."""

    controllers: frozenset[str]  # what the hierarchy offers: memory, pids, cpu, freezer

    def make(self, name: str) -> Cgroup: ...
    def memory_limit(self, cgroup: Cgroup) -> int | None: ...  # None: unlimited
    def pids_limit(self, cgroup: Cgroup) -> int | None: ...
    def cpu_quota(self, cgroup: Cgroup) -> tuple[int | None, int]: ...  # (quota, period)
    def report_oom_kill(self, cgroup: Cgroup) -> bool: ...  # False: cannot be simulated
    def charge(self, cgroup: Cgroup, process: subprocess.Popen[str]) -> int: ...
    def settle_before_remove(self, cgroup: Cgroup) -> None: ...


@contextlib.contextmanager
def sleeper() -> Iterator[subprocess.Popen[str]]:
    """A process to put in a cgroup (it allocates on request, see ``ALLOCATE``)."""
    process = subprocess.Popen([sys.executable, "-c", ALLOCATE], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait(timeout=10)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


def need(harness: Harness, controller: str) -> None:
    if controller not in harness.controllers:
        pytest.skip(f"this hierarchy has no {controller} controller")


class CgroupSuite:
    """The contract every driver keeps. Subclasses provide the ``harness`` fixture."""

    def test_create_is_idempotent_and_remove_removes_everything(self, harness: Harness
                                                                ) -> None:
        cgroup = harness.make("lifecycle")
        cgroup.create()
        cgroup.create()
        sources = cgroup.mount_sources()
        assert sources and all(path.is_dir() for path in sources.values())
        assert all(path.as_posix().endswith(cgroup.path) for path in sources.values())
        harness.settle_before_remove(cgroup)
        cgroup.remove()
        assert not any(path.exists() for path in sources.values())
        cgroup.remove()  # removing a removed cgroup is not an error

    def test_added_process_is_listed(self, harness: Harness) -> None:
        cgroup = harness.make("procs")
        cgroup.create()
        with sleeper() as process:
            cgroup.add(process.pid)
            assert process.pid in cgroup.pids()

    def test_memory_limit_and_unlimited(self, harness: Harness) -> None:
        need(harness, "memory")
        cgroup = harness.make("memory")
        cgroup.create()
        cgroup.apply({"memory": {"limit": 64 * MIB}})
        assert harness.memory_limit(cgroup) == 64 * MIB
        cgroup.apply({"memory": {"limit": -1}})
        assert harness.memory_limit(cgroup) is None

    def test_pids_limit_and_unlimited(self, harness: Harness) -> None:
        need(harness, "pids")
        cgroup = harness.make("pids")
        cgroup.create()
        cgroup.apply({"pids": {"limit": 64}})
        assert harness.pids_limit(cgroup) == 64
        cgroup.apply({"pids": {"limit": -1}})
        assert harness.pids_limit(cgroup) is None
        cgroup.apply({"pids": {"limit": 0}})  # 0: leave it as it is (runc)
        assert harness.pids_limit(cgroup) is None

    def test_cpu_quota(self, harness: Harness) -> None:
        need(harness, "cpu")
        cgroup = harness.make("cpu")
        cgroup.create()
        cgroup.apply({"cpu": {"quota": 50000, "period": 100000}})
        assert harness.cpu_quota(cgroup) == (50000, 100000)

    def test_freeze_and_thaw(self, harness: Harness) -> None:
        need(harness, "freezer")
        cgroup = harness.make("freezer")
        cgroup.create()
        with sleeper() as process:
            cgroup.add(process.pid)
            assert not cgroup.frozen()
            cgroup.freeze()
            assert cgroup.frozen()
            cgroup.thaw()
            assert wait_until(lambda: not cgroup.frozen(), 2.0)

    def test_oom_kill_is_reported(self, harness: Harness) -> None:
        need(harness, "memory")
        cgroup = harness.make("oom")
        cgroup.create()
        assert not cgroup.oom_killed()
        if not harness.report_oom_kill(cgroup):
            pytest.skip("a real OOM kill is the OOM tests' business, not this suite's")
        assert cgroup.oom_killed()

    def test_memory_usage_counts_the_members(self, harness: Harness) -> None:
        need(harness, "memory")
        cgroup = harness.make("usage")
        cgroup.create()
        with sleeper() as process:
            cgroup.add(process.pid)
            charged = harness.charge(cgroup, process)
            assert cgroup.memory_usage() >= charged

    def test_kill_all_kills_every_member(self, harness: Harness) -> None:
        cgroup = harness.make("kill")
        cgroup.create()
        with sleeper() as process:
            cgroup.add(process.pid)
            cgroup.kill_all(signal.SIGKILL)
            assert process.wait(timeout=10) == -signal.SIGKILL
        assert wait_until(lambda: not cgroup.frozen(), 2.0)  # left thawed


def allocate_in(process: subprocess.Popen[str]) -> None:
    """Have a ``sleeper`` allocate its 16 MiB now (it is in its cgroup by then)."""
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("go\n")
    process.stdin.flush()
    assert process.stdout.readline() == "ok\n"


def read_int(path: Path) -> int:
    return int(path.read_text().split()[0])
