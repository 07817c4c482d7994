"""What both cgroup versions' statistics share: number parsing and picking
(Docker's empty sections are in ``wharf.core.stats_shape``).

The readers give the cgroup part of Docker's stats JSON (moby's conversion of containerd's
cgroup metrics): ``memory_stats``, ``cpu_stats`` (without the host's ``system_cpu_usage`` and
``online_cpus``), ``pids_stats`` and ``blkio_stats``. A missing file reads as zero: a
controller that is not mounted leaves its section empty, as dockerd does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wharf.runtime.cgroups.base import read_value

MAX_UINT64 = 2**64 - 1  # a v2 "max": dockerd caps it to the machine's memory


def read_uint(path: Path, unlimited: int = 0) -> int:
    """A file holding one number (``max`` is ``unlimited``; missing or garbage is 0)."""
    text = read_value(path)
    if text == "max":
        return unlimited
    try:
        return max(int(text), 0)
    except ValueError:
        return 0


def read_flat_keyed(path: Path) -> dict[str, int]:
    """``key value`` lines (memory.stat, cpu.stat, cpuacct.stat)."""
    values: dict[str, int] = {}
    for line in read_value(path).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            values[parts[0]] = int(parts[1])
    return values


def pick(values: dict[str, int], keys: tuple[str, ...]) -> dict[str, int]:
    """The keys dockerd reports (each present in its map, 0 when the kernel lacks it)."""
    return {key: values.get(key, 0) for key in keys}


def omit_zero(section: dict[str, Any]) -> dict[str, Any]:
    """Go's ``omitempty`` on a struct's number fields."""
    return {key: value for key, value in section.items() if value}
