"""cgroup v1: one directory per mounted hierarchy (cpu, memory, pids, devices, freezer...)."""

from __future__ import annotations

import os
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
from wharf.runtime.cgroups.stats_v1 import read_stats_v1
from wharf.runtime.cgroups.update import update_v1


def _controllers(hierarchy: str) -> set[str]:
    return set(hierarchy.split(","))


@dataclass
class CgroupV1:
    """``path`` (like ``/wharf/<id>``) under every hierarchy in ``hierarchies``."""

    path: str
    hierarchies: dict[str, Path]

    def _dirs(self) -> dict[str, Path]:
        relative = self.path.lstrip("/")
        return {name: mount / relative for name, mount in self.hierarchies.items()}

    def _dir(self, controller: str) -> Path | None:
        for name, directory in self._dirs().items():
            if controller in _controllers(name):
                return directory
        return None

    def mount_sources(self) -> dict[str, Path]:
        return self._dirs()

    def create(self) -> None:
        for name, directory in self._dirs().items():
            if "cpuset" in _controllers(name):
                self._create_cpuset(directory, self.hierarchies[name])
            else:
                directory.mkdir(parents=True, exist_ok=True)

    def _create_cpuset(self, directory: Path, mount: Path) -> None:
        """A new cpuset cgroup starts with empty cpus/mems unless its parent has
        ``cgroup.clone_children`` set. Each ancestor wharf creates gets cpus/mems copied from
        its parent once and clone_children set, so a container's cgroup is one mkdir."""
        current = mount
        for part in directory.relative_to(mount).parts:
            parent, current = current, current / part
            try:
                current.mkdir()
            except FileExistsError:
                if current != directory:
                    continue
            if read_value(current / "cpuset.cpus"):
                continue  # inherited (clone_children) or set already
            for knob in ("cpuset.cpus", "cpuset.mems"):
                value = read_value(parent / knob)
                if value:
                    write_value(current / knob, value)
            if current != directory:
                write_value(current / "cgroup.clone_children", 1)

    def apply(self, resources: dict[str, Any]) -> None:
        self._apply_memory(resources.get("memory") or {})
        self._apply_cpu(resources.get("cpu") or {})
        pids = (resources.get("pids") or {}).get("limit")
        pids_dir = self._dir("pids")
        if pids is not None and pids != 0 and pids_dir is not None:
            write_value(pids_dir / "pids.max", "max" if pids < 0 else pids)
        devices_dir = self._dir("devices")
        if devices_dir is not None and resources.get("devices"):
            write_device_rules(devices_dir, resources["devices"])

    def _apply_memory(self, memory: dict[str, Any]) -> None:
        directory = self._dir("memory")
        if directory is None:
            return
        if memory.get("reservation") is not None:
            write_value(directory / "memory.soft_limit_in_bytes", memory["reservation"])
        if memory.get("swappiness") is not None and 0 <= memory["swappiness"] <= 100:
            write_value(directory / "memory.swappiness", memory["swappiness"])
        if memory.get("disableOOMKiller"):
            write_value(directory / "memory.oom_control", 1)
        limit, swap = memory.get("limit"), memory.get("swap")
        swap_file = directory / "memory.memsw.limit_in_bytes"
        if swap is not None and swap_file.exists():
            try:  # memsw must stay >= limit: when growing, memsw goes first
                write_value(swap_file, swap)
                if limit is not None:
                    write_value(directory / "memory.limit_in_bytes", limit)
            except OSError:
                if limit is not None:
                    write_value(directory / "memory.limit_in_bytes", limit)
                write_value(swap_file, swap)
        elif limit is not None:
            write_value(directory / "memory.limit_in_bytes", limit)

    def _apply_cpu(self, cpu: dict[str, Any]) -> None:
        directory = self._dir("cpu")
        if directory is not None:
            if cpu.get("shares"):
                write_value(directory / "cpu.shares", cpu["shares"])
            if cpu.get("period"):
                write_value(directory / "cpu.cfs_period_us", cpu["period"])
            if cpu.get("quota"):
                write_value(directory / "cpu.cfs_quota_us", cpu["quota"])
        cpuset = self._dir("cpuset")
        if cpuset is not None:
            if cpu.get("cpus"):
                write_value(cpuset / "cpuset.cpus", cpu["cpus"])
            if cpu.get("mems"):
                write_value(cpuset / "cpuset.mems", cpu["mems"])

    def add(self, pid: int) -> None:
        for directory in self._dirs().values():
            write_value(directory / "cgroup.procs", pid)

    def pids(self) -> list[int]:
        directory = self._dir("pids") or self._dir("freezer") or self._dir("memory")
        return read_pids(directory / "cgroup.procs") if directory is not None else []

    def freeze(self) -> None:
        directory = self._dir("freezer")
        if directory is None:
            raise OSError("the freezer cgroup controller is not mounted")
        write_value(directory / "freezer.state", "FROZEN")
        wait_until(self.frozen)

    def thaw(self) -> None:
        directory = self._dir("freezer")
        if directory is not None:
            write_value(directory / "freezer.state", "THAWED")

    def frozen(self) -> bool:
        directory = self._dir("freezer")
        return directory is not None and read_value(directory / "freezer.state") == "FROZEN"

    def oom_killed(self) -> bool:
        directory = self._dir("memory")
        if directory is None:
            return False
        return read_keyed(directory / "memory.oom_control").get("oom_kill", 0) > 0

    def memory_usage(self) -> int:
        directory = self._dir("memory")
        return int(read_value(directory / "memory.usage_in_bytes", "0")) if directory else 0

    def stats(self) -> dict[str, Any]:
        return read_stats_v1(self._dir)

    def update(self, resources: dict[str, Any]) -> None:
        update_v1(self._dir, resources)

    def kill_all(self, signal: int = signals.SIGKILL) -> None:
        has_freezer = self._dir("freezer") is not None
        if has_freezer:
            self.freeze()
        try:
            kill_pids(self.pids(), signal)
        finally:
            if has_freezer:
                self.thaw()

    def remove(self) -> None:
        for directory in self._dirs().values():
            remove_tree(directory)


def device_writes(rules: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(knob, line) writes for ``rules`` in order, without repeats that cannot change the
    result: an allow (or deny) already written since the last opposite rule is a no-op in the
    kernel's v1 exception list, so only its first occurrence is written."""
    writes: list[tuple[str, str]] = []
    since_change: set[tuple[str, str]] = set()
    for rule in rules:
        write = ("devices.allow" if rule.get("allow") else "devices.deny", device_rule(rule))
        if write[1] == "a *:* rwm" or (writes and write[0] != writes[-1][0]):
            since_change = set()
        if write in since_change:
            continue
        since_change.add(write)
        writes.append(write)
    return writes


def write_device_rules(directory: Path, rules: list[dict[str, Any]]) -> None:
    """Write the rules through one open fd per knob (the kernel parses each write alone)."""
    fds: dict[str, int] = {}
    try:
        for knob, line in device_writes(rules):
            if knob not in fds:
                fds[knob] = os.open(directory / knob,
                                    os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
            os.write(fds[knob], line.encode())
    finally:
        for fd in fds.values():
            os.close(fd)


def device_rule(rule: dict[str, Any]) -> str:
    """An OCI device cgroup rule as the kernel's ``type major:minor access`` line."""
    kind = rule.get("type") or "a"
    if kind == "a":
        return "a *:* rwm"
    major = "*" if rule.get("major") in (None, -1) else str(rule["major"])
    minor = "*" if rule.get("minor") in (None, -1) else str(rule["minor"])
    return f"{kind} {major}:{minor} {rule.get('access') or 'rwm'}"
