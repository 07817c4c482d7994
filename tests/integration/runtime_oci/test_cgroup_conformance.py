"""The cgroup conformance suite on the host's real hierarchies: v1 where the host's layout
is v1, v2 where it is v2, and the v2 driver's core features (no controllers) on the empty
cgroup2 mount of a hybrid host. Inside a CI container (nested cgroups, no cgroup namespace)
the drivers work below the mounts the container sees, as for containers."""

from __future__ import annotations

import contextlib
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.unit.runtime_oci.cgroup_suite import MIB, CgroupSuite, allocate_in, read_int

from wharf.runtime.cgroups import Cgroup, CgroupLayout, CgroupV2, detect_layout, open_cgroup
from wharf.runtime.cgroups.base import read_value

UNLIMITED_V1 = 1 << 62
V1_CONTROLLERS = ("memory", "pids", "cpu", "freezer")


@dataclass
class Kernel:
    """Real cgroups under ``/wharf-test/conf-<unique>-<name>``; all removed at the end."""

    layout: CgroupLayout
    controllers: frozenset[str]
    v2_root: Path | None = None
    made: list[Cgroup] = field(default_factory=list)
    prefix: str = field(default_factory=lambda: f"conf-{uuid.uuid4().hex[:8]}")

    def make(self, name: str) -> Cgroup:
        path = f"/wharf-test/{self.prefix}-{name}"
        cgroup: Cgroup = CgroupV2(path, self.v2_root) if self.v2_root is not None \
            else open_cgroup(path, self.layout)
        self.made.append(cgroup)
        return cgroup

    def cleanup(self) -> None:
        for cgroup in self.made:
            with contextlib.suppress(OSError):
                cgroup.thaw()
            with contextlib.suppress(OSError):
                cgroup.remove()

    def _file(self, cgroup: Cgroup, controller: str, name: str) -> Path:
        sources = cgroup.mount_sources()
        key = next((key for key in sources if controller in key.split(",")), "")
        return sources[key] / name

    def memory_limit(self, cgroup: Cgroup) -> int | None:
        if self.layout.version == 2:
            text = read_value(self._file(cgroup, "", "memory.max"))
            return None if text == "max" else int(text)
        value = read_int(self._file(cgroup, "memory", "memory.limit_in_bytes"))
        return None if value >= UNLIMITED_V1 else value

    def pids_limit(self, cgroup: Cgroup) -> int | None:
        text = read_value(self._file(cgroup, "pids", "pids.max"))
        return None if text == "max" else int(text)

    def cpu_quota(self, cgroup: Cgroup) -> tuple[int | None, int]:
        if self.layout.version == 2:
            quota, period = read_value(self._file(cgroup, "", "cpu.max")).split()
            return (None if quota == "max" else int(quota), int(period))
        quota = read_int(self._file(cgroup, "cpu", "cpu.cfs_quota_us"))
        return (None if quota < 0 else quota,
                read_int(self._file(cgroup, "cpu", "cpu.cfs_period_us")))

    def report_oom_kill(self, cgroup: Cgroup) -> bool:
        return False

    def charge(self, cgroup: Cgroup, process: subprocess.Popen[str]) -> int:
        allocate_in(process)  # allocated after the move: charged to the new cgroup
        return 16 * MIB

    def settle_before_remove(self, cgroup: Cgroup) -> None:
        return


def _v1_controllers(layout: CgroupLayout) -> frozenset[str]:
    mounted = {c for key in layout.hierarchies for c in key.split(",")}
    return frozenset(c for c in V1_CONTROLLERS if c in mounted)


class TestKernelV1(CgroupSuite):
    @pytest.fixture
    def harness(self) -> Iterator[Kernel]:
        layout = detect_layout()
        if layout.version != 1:
            pytest.skip("the host's cgroup layout is v2: no v1 hierarchy to test")
        kernel = Kernel(layout, _v1_controllers(layout))
        yield kernel
        kernel.cleanup()


class TestKernelV2(CgroupSuite):
    @pytest.fixture
    def harness(self) -> Iterator[Kernel]:
        layout = detect_layout()
        if layout.version != 2 or layout.unified is None:
            pytest.skip("the host's cgroup layout is v1 (v2 controllers live in v1 "
                        "hierarchies here): see TestKernelV2CoreOnHybridHost")
        controllers = set(read_value(layout.unified / "cgroup.controllers").split())
        kernel = Kernel(layout, frozenset({"freezer"} | (controllers & {"memory", "pids",
                                                                          "cpu"})))
        yield kernel
        kernel.cleanup()


class TestKernelV2CoreOnHybridHost(CgroupSuite):
    """A hybrid host's cgroup2 mount has no controllers, but the v2 driver's core features
    (procs, freeze through cgroup.freeze, kill, create/remove) are real there."""

    @pytest.fixture
    def harness(self) -> Iterator[Kernel]:
        layout = detect_layout()
        if layout.version != 1 or layout.unified is None:
            pytest.skip("not a hybrid host (no v1 controllers beside a cgroup2 mount)")
        if not (layout.unified / "cgroup.procs").exists():
            pytest.skip(f"the cgroup2 mount at {layout.unified} is not usable here")
        kernel = Kernel(layout, frozenset({"freezer"}), v2_root=layout.unified)
        yield kernel
        kernel.cleanup()
