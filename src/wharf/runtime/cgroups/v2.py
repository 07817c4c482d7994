"""cgroup v2: one directory under the unified hierarchy."""

from __future__ import annotations

import signal as signals
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wharf.runtime.cgroups.base import (
    kill_pids,
    read_keyed,
    read_pids,
    read_value,
    remove_tree,
    wait_until,
    write_value,
)

WANTED_CONTROLLERS = ("cpu", "cpuset", "io", "memory", "pids")


def shares_to_weight(shares: int) -> int:
    """cgroup v1 cpu.shares (2..262144) to v2 cpu.weight (1..10000), as runc converts."""
    return 1 + ((shares - 2) * 9999) // 262142


@dataclass
class CgroupV2:
    """``path`` under the unified mount ``root``."""

    path: str
    root: Path

    @property
    def directory(self) -> Path:
        return self.root / self.path.lstrip("/")

    def mount_sources(self) -> dict[str, Path]:
        return {"": self.directory}

    def create(self) -> None:
        current = self.root
        for part in Path(self.path.lstrip("/")).parts:
            self._enable_controllers(current)
            current = current / part
            current.mkdir(exist_ok=True)

    def _enable_controllers(self, directory: Path) -> None:
        available = read_value(directory / "cgroup.controllers").split()
        enabled = read_value(directory / "cgroup.subtree_control").split()
        wanted = [c for c in WANTED_CONTROLLERS if c in available and c not in enabled]
        if wanted:
            try:
                write_value(directory / "cgroup.subtree_control",
                            " ".join("+" + c for c in wanted))
            except OSError:
                return  # e.g. processes in the parent: limits will simply not apply

    def apply(self, resources: dict[str, Any]) -> None:
        memory = resources.get("memory") or {}
        if memory.get("limit") is not None:
            limit = memory["limit"]
            write_value(self.directory / "memory.max", "max" if limit < 0 else limit)
            swap = memory.get("swap")
            if swap is not None:
                swap_only = "max" if swap < 0 or limit < 0 else max(swap - limit, 0)
                write_value(self.directory / "memory.swap.max", swap_only)
        if memory.get("reservation") is not None:
            write_value(self.directory / "memory.low", memory["reservation"])
        self._apply_cpu(resources.get("cpu") or {})
        pids = (resources.get("pids") or {}).get("limit")
        if pids is not None and pids != 0:
            write_value(self.directory / "pids.max", "max" if pids < 0 else pids)
        if resources.get("devices"):
            from wharf.runtime.cgroups.devicefilter import attach_device_filter

            attach_device_filter(self.directory, list(resources["devices"]))

    def _apply_cpu(self, cpu: dict[str, Any]) -> None:
        if cpu.get("shares"):
            write_value(self.directory / "cpu.weight", shares_to_weight(int(cpu["shares"])))
        if cpu.get("quota") or cpu.get("period"):
            quota = cpu.get("quota") or 0
            period = cpu.get("period") or 100000
            write_value(self.directory / "cpu.max",
                        f"{quota if quota > 0 else 'max'} {period}")
        if cpu.get("cpus"):
            write_value(self.directory / "cpuset.cpus", cpu["cpus"])
        if cpu.get("mems"):
            write_value(self.directory / "cpuset.mems", cpu["mems"])

    def add(self, pid: int) -> None:
        write_value(self.directory / "cgroup.procs", pid)

    def pids(self) -> list[int]:
        found = read_pids(self.directory / "cgroup.procs")
        if self.directory.is_dir():
            for child in sorted(p for p in self.directory.rglob("*") if p.is_dir()):
                found.extend(read_pids(child / "cgroup.procs"))
        return found

    def freeze(self) -> None:
        write_value(self.directory / "cgroup.freeze", 1)
        wait_until(self.frozen)

    def thaw(self) -> None:
        write_value(self.directory / "cgroup.freeze", 0)

    def frozen(self) -> bool:
        return read_keyed(self.directory / "cgroup.events").get("frozen", 0) == 1

    def oom_killed(self) -> bool:
        return read_keyed(self.directory / "memory.events").get("oom_kill", 0) > 0

    def memory_usage(self) -> int:
        return int(read_value(self.directory / "memory.current", "0"))

    def stats(self) -> dict[str, Any]:
        from wharf.runtime.cgroups.stats_v2 import read_stats_v2

        return read_stats_v2(self.directory)

    def update(self, resources: dict[str, Any]) -> None:
        from wharf.runtime.cgroups.update import update_v2

        update_v2(self.directory, resources)

    def kill_all(self, signal: int = signals.SIGKILL) -> None:
        kill_file = self.directory / "cgroup.kill"
        if signal == signals.SIGKILL and kill_file.exists():
            write_value(kill_file, 1)
            return
        self.freeze()
        try:
            kill_pids(self.pids(), signal)
        finally:
            self.thaw()

    def remove(self) -> None:
        remove_tree(self.directory)
