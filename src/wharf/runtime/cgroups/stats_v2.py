"""cgroup v2 statistics in Docker's shape (one directory: memory.*, cpu.stat, pids.*, io.stat).

As dockerd reports v2: no per-cpu usage and no max usage; ``failcnt`` is memory.events' oom
count; block I/O is io.stat's rbytes/wbytes as lowercase ``read``/``write`` entries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wharf.core.stats_shape import empty_blkio, empty_cpu
from wharf.runtime.cgroups.base import read_keyed, read_value
from wharf.runtime.cgroups.stats_common import (
    MAX_UINT64,
    omit_zero,
    pick,
    read_flat_keyed,
    read_uint,
)

MEMORY_KEYS = (
    "anon", "file", "kernel_stack", "slab", "sock", "shmem", "file_mapped", "file_dirty",
    "file_writeback", "anon_thp", "inactive_anon", "active_anon", "inactive_file",
    "active_file", "unevictable", "slab_reclaimable", "slab_unreclaimable", "pgfault",
    "pgmajfault", "workingset_refault", "workingset_activate", "workingset_nodereclaim",
    "pgrefill", "pgscan", "pgsteal", "pgactivate", "pgdeactivate", "pglazyfree",
    "pglazyfreed", "thp_fault_alloc", "thp_collapse_alloc",
)


def read_stats_v2(directory: Path) -> dict[str, Any]:
    if not directory.is_dir():
        return {"memory_stats": {}, "cpu_stats": empty_cpu(), "pids_stats": {},
                "blkio_stats": empty_blkio()}
    return {"memory_stats": memory_stats(directory), "cpu_stats": cpu_stats(directory),
            "pids_stats": omit_zero({"current": read_uint(directory / "pids.current"),
                                     "limit": read_uint(directory / "pids.max")}),
            "blkio_stats": blkio_stats(directory)}


def memory_stats(directory: Path) -> dict[str, Any]:
    if not (directory / "memory.current").exists():
        return {}
    stats: dict[str, Any] = {
        "usage": read_uint(directory / "memory.current"),
        "stats": pick(read_flat_keyed(directory / "memory.stat"), MEMORY_KEYS),
        "limit": read_uint(directory / "memory.max", unlimited=MAX_UINT64),
    }
    oom = read_keyed(directory / "memory.events").get("oom", 0)
    if oom:
        stats["failcnt"] = oom
    return stats


def cpu_stats(directory: Path) -> dict[str, Any]:
    stats = empty_cpu()
    raw = read_flat_keyed(directory / "cpu.stat")
    stats["cpu_usage"] = {"total_usage": raw.get("usage_usec", 0) * 1000,
                          "usage_in_kernelmode": raw.get("system_usec", 0) * 1000,
                          "usage_in_usermode": raw.get("user_usec", 0) * 1000}
    stats["throttling_data"] = {"periods": raw.get("nr_periods", 0),
                                "throttled_periods": raw.get("nr_throttled", 0),
                                "throttled_time": raw.get("throttled_usec", 0) * 1000}
    return stats


def blkio_stats(directory: Path) -> dict[str, Any]:
    """io.stat: ``8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0`` per device."""
    stats = empty_blkio()
    entries: list[dict[str, Any]] = []
    for line in read_value(directory / "io.stat").splitlines():
        device, *fields = line.split()
        major, _, minor = device.partition(":")
        if not (major.isdigit() and minor.isdigit()):
            continue
        values = dict(field.partition("=")[::2] for field in fields)
        for op, key in (("read", "rbytes"), ("write", "wbytes")):
            entries.append({"major": int(major), "minor": int(minor), "op": op,
                            "value": int(values.get(key, "0") or 0)})
    stats["io_service_bytes_recursive"] = entries or None
    return stats
