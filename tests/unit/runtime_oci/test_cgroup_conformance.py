"""The cgroup conformance suite on fake cgroupfs trees: v1 (a directory per hierarchy) and v2
(one unified tree), with a small thread playing the kernel where a file changes by itself."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from wharf.runtime.cgroups import Cgroup, CgroupV1, CgroupV2

from .cgroup_suite import MIB, CgroupSuite, read_int

UNLIMITED_V1 = 1 << 62
ALL = frozenset({"memory", "pids", "cpu", "freezer"})


def drop_files(cgroup: Cgroup) -> None:
    """A real cgroupfs directory's files vanish with it; a fake tree's must go first."""
    for directory in cgroup.mount_sources().values():
        for path in sorted(directory.rglob("*"), reverse=True):
            if path.is_file():
                path.unlink()


@dataclass
class FakeV1:
    root: Path
    controllers: frozenset[str] = ALL

    def __post_init__(self) -> None:
        self.hierarchies = {name: self.root / name for name in
                            ("cpu,cpuacct", "cpuset", "memory", "pids", "devices", "freezer")}
        for path in self.hierarchies.values():
            path.mkdir()
        (self.root / "cpuset/cpuset.cpus").write_text("0-1\n")
        (self.root / "cpuset/cpuset.mems").write_text("0\n")

    def make(self, name: str) -> Cgroup:
        return CgroupV1(f"/wharf-test/{name}", dict(self.hierarchies))

    def _file(self, cgroup: Cgroup, hierarchy: str, name: str) -> Path:
        return self.hierarchies[hierarchy] / cgroup.path.lstrip("/") / name

    def memory_limit(self, cgroup: Cgroup) -> int | None:
        value = read_int(self._file(cgroup, "memory", "memory.limit_in_bytes"))
        return None if value < 0 or value >= UNLIMITED_V1 else value

    def pids_limit(self, cgroup: Cgroup) -> int | None:
        path = self._file(cgroup, "pids", "pids.max")
        text = path.read_text().strip() if path.exists() else "max"
        return None if text == "max" else int(text)

    def cpu_quota(self, cgroup: Cgroup) -> tuple[int | None, int]:
        quota = read_int(self._file(cgroup, "cpu,cpuacct", "cpu.cfs_quota_us"))
        return (None if quota < 0 else quota,
                read_int(self._file(cgroup, "cpu,cpuacct", "cpu.cfs_period_us")))

    def report_oom_kill(self, cgroup: Cgroup) -> bool:
        self._file(cgroup, "memory", "memory.oom_control").write_text(
            "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n")
        return True

    def charge(self, cgroup: Cgroup, process: subprocess.Popen[str]) -> int:
        self._file(cgroup, "memory", "memory.usage_in_bytes").write_text(f"{16 * MIB}\n")
        return 16 * MIB

    def settle_before_remove(self, cgroup: Cgroup) -> None:
        drop_files(cgroup)


@dataclass
class FakeV2:
    root: Path
    controllers: frozenset[str] = ALL
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        (self.root / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
        (self.root / "cgroup.subtree_control").write_text("\n")
        self._kernel = threading.Thread(target=self._play_kernel, daemon=True)
        self._kernel.start()

    def _play_kernel(self) -> None:
        """What the kernel does by itself: cgroup.events follows cgroup.freeze."""
        while not self._stop.wait(0.002):
            for request in self.root.rglob("cgroup.freeze"):
                try:
                    frozen = request.read_text().strip() == "1"
                    events = request.with_name("cgroup.events")
                    events.write_text(f"populated 1\nfrozen {int(frozen)}\n")
                except OSError:
                    continue  # removed meanwhile

    def stop(self) -> None:
        self._stop.set()
        self._kernel.join(timeout=5)

    def make(self, name: str) -> Cgroup:
        return CgroupV2(f"/wharf-test/{name}", self.root)

    def _file(self, cgroup: Cgroup, name: str) -> Path:
        return self.root / cgroup.path.lstrip("/") / name

    def _max_or_int(self, path: Path) -> int | None:
        text = path.read_text().split()[0] if path.exists() else "max"
        return None if text == "max" else int(text)

    def memory_limit(self, cgroup: Cgroup) -> int | None:
        return self._max_or_int(self._file(cgroup, "memory.max"))

    def pids_limit(self, cgroup: Cgroup) -> int | None:
        return self._max_or_int(self._file(cgroup, "pids.max"))

    def cpu_quota(self, cgroup: Cgroup) -> tuple[int | None, int]:
        quota, period = self._file(cgroup, "cpu.max").read_text().split()
        return (None if quota == "max" else int(quota), int(period))

    def report_oom_kill(self, cgroup: Cgroup) -> bool:
        self._file(cgroup, "memory.events").write_text("oom 1\noom_kill 1\n")
        return True

    def charge(self, cgroup: Cgroup, process: subprocess.Popen[str]) -> int:
        self._file(cgroup, "memory.current").write_text(f"{16 * MIB}\n")
        return 16 * MIB

    def settle_before_remove(self, cgroup: Cgroup) -> None:
        drop_files(cgroup)


class TestFakeV1(CgroupSuite):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> FakeV1:
        return FakeV1(tmp_path)


class TestFakeV2(CgroupSuite):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> Iterator[FakeV2]:
        fake = FakeV2(tmp_path)
        yield fake
        fake.stop()
