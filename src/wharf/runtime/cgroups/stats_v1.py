"""cgroup v1 statistics in Docker's shape (memory, cpu + cpuacct, pids, blkio hierarchies)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from wharf.core.stats_shape import empty_blkio, empty_cpu
from wharf.runtime.cgroups.base import read_value
from wharf.runtime.cgroups.stats_common import (
    omit_zero,
    pick,
    read_flat_keyed,
    read_uint,
)

CLOCK_TICKS = 100  # USER_HZ: the unit of cpuacct.stat
NANOS = 1_000_000_000
_MEMORY_NAMES = ("cache", "rss", "rss_huge", "mapped_file", "dirty", "writeback", "pgpgin",
                 "pgpgout", "pgfault", "pgmajfault", "inactive_anon", "active_anon",
                 "inactive_file", "active_file", "unevictable")
MEMORY_KEYS = (*_MEMORY_NAMES, *("total_" + name for name in _MEMORY_NAMES),
               "hierarchical_memory_limit", "hierarchical_memsw_limit")
CFQ_FILES = {  # blkio.<file> → Docker's key; CFQ/BFQ stats where the kernel has them
    "io_service_bytes_recursive": "io_service_bytes_recursive",
    "io_serviced_recursive": "io_serviced_recursive",
    "io_queued_recursive": "io_queue_recursive",
    "io_service_time_recursive": "io_service_time_recursive",
    "io_wait_time_recursive": "io_wait_time_recursive",
    "io_merged_recursive": "io_merged_recursive",
    "time_recursive": "io_time_recursive",
    "sectors_recursive": "sectors_recursive",
}
THROTTLE_FILES = {"throttle.io_service_bytes_recursive": "io_service_bytes_recursive",
                  "throttle.io_serviced_recursive": "io_serviced_recursive"}

Dir = Callable[[str], Path | None]


def read_stats_v1(directory: Dir) -> dict[str, Any]:
    """``directory(controller)`` is the container's directory in that controller's hierarchy
    (None when not mounted)."""
    return {"memory_stats": memory_stats(directory("memory")),
            "cpu_stats": cpu_stats(directory("cpuacct"), directory("cpu")),
            "pids_stats": pids_stats(directory("pids")),
            "blkio_stats": blkio_stats(directory("blkio"))}


def memory_stats(directory: Path | None) -> dict[str, Any]:
    if directory is None or not directory.is_dir():
        return {}
    raw = read_flat_keyed(directory / "memory.stat")
    return omit_zero({"usage": read_uint(directory / "memory.usage_in_bytes"),
                      "max_usage": read_uint(directory / "memory.max_usage_in_bytes"),
                      "stats": pick(raw, MEMORY_KEYS),
                      "failcnt": read_uint(directory / "memory.failcnt"),
                      "limit": read_uint(directory / "memory.limit_in_bytes")})


def cpu_stats(cpuacct: Path | None, cpu: Path | None) -> dict[str, Any]:
    stats = empty_cpu()
    if cpuacct is not None and cpuacct.is_dir():
        ticks = read_flat_keyed(cpuacct / "cpuacct.stat")
        usage: dict[str, Any] = {"total_usage": read_uint(cpuacct / "cpuacct.usage")}
        percpu = [int(v) for v in read_value(cpuacct / "cpuacct.usage_percpu").split()
                  if v.isdigit()]
        if percpu:
            usage["percpu_usage"] = percpu
        usage["usage_in_kernelmode"] = ticks.get("system", 0) * NANOS // CLOCK_TICKS
        usage["usage_in_usermode"] = ticks.get("user", 0) * NANOS // CLOCK_TICKS
        stats["cpu_usage"] = usage
    if cpu is not None and cpu.is_dir():
        throttling = read_flat_keyed(cpu / "cpu.stat")
        stats["throttling_data"] = {"periods": throttling.get("nr_periods", 0),
                                    "throttled_periods": throttling.get("nr_throttled", 0),
                                    "throttled_time": throttling.get("throttled_time", 0)}
    return stats


def pids_stats(directory: Path | None) -> dict[str, Any]:
    if directory is None or not directory.is_dir():
        return {}
    return omit_zero({"current": read_uint(directory / "pids.current"),
                      "limit": read_uint(directory / "pids.max")})


def blkio_stats(directory: Path | None) -> dict[str, Any]:
    """Every list present (empty when the kernel keeps no such figure), as dockerd copies
    containerd's v1 metrics; all null only without the blkio controller."""
    if directory is None or not directory.is_dir():
        return empty_blkio()
    stats: dict[str, Any] = {key: [] for key in empty_blkio()}
    files = CFQ_FILES if (directory / "blkio.io_serviced_recursive").exists() \
        else THROTTLE_FILES
    for name, key in files.items():
        stats[key] = blkio_entries(read_value(directory / f"blkio.{name}"))
    return stats


def blkio_entries(text: str) -> list[dict[str, Any]]:
    """``8:0 Read 4096`` lines (``8:0 123`` without an op; the ``Total`` line is skipped)."""
    entries: list[dict[str, Any]] = []
    for line in text.splitlines():
        parts = line.split()
        if not parts or ":" not in parts[0]:
            continue
        major, _, minor = parts[0].partition(":")
        op, value = (parts[1], parts[2]) if len(parts) == 3 else ("", parts[-1])
        if major.isdigit() and minor.isdigit() and value.isdigit():
            entries.append({"major": int(major), "minor": int(minor), "op": op,
                            "value": int(value)})
    return entries
