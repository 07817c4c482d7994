"""Live resource updates of a running container's cgroup, as ``runc update`` writes them.

``resources`` is the OCI ``linux.resources`` subset ``docker update`` changes: ``memory``
(``limit``, ``swap``: memory + swap, ``reservation``; -1 unlimited), ``cpu`` (``shares``,
``period``, ``quota``) and ``pids`` (``limit``; 0 or less unlimited). Only what is present is
written."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wharf.runtime.cgroups.base import read_value, write_value
from wharf.runtime.cgroups.stats_common import read_uint
from wharf.runtime.cgroups.v2 import shares_to_weight

Dir = Callable[[str], Path | None]


class MemoryBelowUsage(OSError):
    """The kernel refused a v1 memory limit below what the cgroup uses now (EBUSY)."""


def update_v1(directory: Dir, resources: dict[str, Any]) -> None:
    memory = resources.get("memory") or {}
    memory_dir = directory("memory")
    if memory and memory_dir is not None:
        _memory_v1(memory_dir, memory)
    cpu, cpu_dir = resources.get("cpu") or {}, directory("cpu")
    if cpu_dir is not None:
        for key, knob in (("shares", "cpu.shares"), ("period", "cpu.cfs_period_us"),
                          ("quota", "cpu.cfs_quota_us")):
            if cpu.get(key):
                write_value(cpu_dir / knob, cpu[key])
    _pids(directory("pids"), resources)


def _memory_v1(directory: Path, memory: dict[str, Any]) -> None:
    limit, swap = memory.get("limit") or 0, memory.get("swap") or 0
    if limit and swap:  # memsw must stay >= the limit at every step
        current = read_uint(directory / "memory.limit_in_bytes")
        if swap == -1 or current < swap:
            _write_swap(directory, swap)
            _write_limit(directory, limit)
        else:
            _write_limit(directory, limit)
            _write_swap(directory, swap)
    else:
        if limit:
            _write_limit(directory, limit)
        if swap:
            _write_swap(directory, swap)
    if memory.get("reservation"):
        write_value(directory / "memory.soft_limit_in_bytes", memory["reservation"])


def _write_limit(directory: Path, limit: int) -> None:
    try:
        write_value(directory / "memory.limit_in_bytes", limit)
    except OSError as exc:
        if exc.errno != errno.EBUSY:
            raise
        usage = read_uint(directory / "memory.usage_in_bytes")
        peak = read_uint(directory / "memory.max_usage_in_bytes")
        raise MemoryBelowUsage(errno.EBUSY, f"unable to set memory limit to {limit} "
                               f"(current usage: {usage}, peak usage: {peak})") from None


def _write_swap(directory: Path, swap: int) -> None:
    knob = directory / "memory.memsw.limit_in_bytes"
    if knob.exists():  # without swap accounting there is nothing to limit
        write_value(knob, swap)


def update_v2(directory: Path, resources: dict[str, Any]) -> None:
    memory = resources.get("memory") or {}
    limit, swap = memory.get("limit") or 0, memory.get("swap") or 0
    if limit:
        write_value(directory / "memory.max", "max" if limit < 0 else limit)
    if swap and (directory / "memory.swap.max").exists():
        unlimited = swap < 0 or limit < 0
        write_value(directory / "memory.swap.max",
                    "max" if unlimited else max(swap - (limit or _current_max(directory)), 0))
    if memory.get("reservation"):
        write_value(directory / "memory.low", memory["reservation"])
    cpu = resources.get("cpu") or {}
    if cpu.get("shares"):
        write_value(directory / "cpu.weight", shares_to_weight(int(cpu["shares"])))
    if cpu.get("quota") or cpu.get("period"):
        old_quota, _, old_period = read_value(directory / "cpu.max", "max 100000").partition(" ")
        quota = cpu.get("quota") or old_quota
        period = cpu.get("period") or old_period or 100000
        write_value(directory / "cpu.max",
                    f"{'max' if str(quota) == 'max' or int(quota) < 0 else quota} {period}")
    _pids(directory, resources)


def _current_max(directory: Path) -> int:
    return read_uint(directory / "memory.max")


def _pids(directory: Path | None, resources: dict[str, Any]) -> None:
    pids = resources.get("pids")
    if directory is not None and pids is not None and pids.get("limit") is not None:
        limit = int(pids["limit"])
        write_value(directory / "pids.max", "max" if limit <= 0 else limit)
