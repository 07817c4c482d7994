"""``docker stats`` rows: the docker CLI's arithmetic over one sample (CPU % from the deltas
to ``precpu_stats``, memory without the inactive file cache, I/O sums) and its cell formats
(binary sizes for memory, decimal for I/O, ``--`` for a container whose stats failed)."""

from __future__ import annotations

from typing import Any

from wharf.cli.formatting import truncate_id
from wharf.core.units import bytes_size, human_size

STATS_TABLE = ("table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t"
               "{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}")
STATS_HEADERS = {"Container": "CONTAINER", "ID": "CONTAINER ID", "Name": "NAME",
                 "CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %",
                 "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS"}


def cpu_percent(sample: dict[str, Any]) -> float:
    cpu, pre = sample.get("cpu_stats") or {}, sample.get("precpu_stats") or {}
    usage = cpu.get("cpu_usage") or {}
    cpu_delta = float(usage.get("total_usage", 0)) - \
        float((pre.get("cpu_usage") or {}).get("total_usage", 0))
    system_delta = float(cpu.get("system_cpu_usage", 0)) - float(pre.get("system_cpu_usage", 0))
    online = float(cpu.get("online_cpus") or len(usage.get("percpu_usage") or []))
    if system_delta > 0 and cpu_delta > 0:
        return cpu_delta / system_delta * online * 100.0
    return 0.0


def memory_used(memory: dict[str, Any]) -> float:
    """Usage without the inactive file cache (v1 ``total_inactive_file``, v2 ``inactive_file``)."""
    usage, stats = int(memory.get("usage") or 0), memory.get("stats") or {}
    if "total_inactive_file" in stats and stats["total_inactive_file"] < usage:
        return float(usage - stats["total_inactive_file"])
    if stats.get("inactive_file", 0) < usage:
        return float(usage - stats.get("inactive_file", 0))
    return float(usage)


def block_io(blkio: dict[str, Any]) -> tuple[int, int]:
    read = write = 0
    for entry in blkio.get("io_service_bytes_recursive") or []:
        op = str(entry.get("op") or "")[:1].lower()
        if op == "r":
            read += int(entry.get("value") or 0)
        elif op == "w":
            write += int(entry.get("value") or 0)
    return read, write


def network_io(networks: dict[str, Any]) -> tuple[int, int]:
    rx = sum(int(n.get("rx_bytes") or 0) for n in networks.values())
    tx = sum(int(n.get("tx_bytes") or 0) for n in networks.values())
    return rx, tx


class StatsRow:
    """One container's line; placeholders are docker's (``{{.CPUPerc}}``...)."""

    __slots__ = ("container", "error", "sample", "trunc")

    def __init__(self, container: str, sample: dict[str, Any] | None, trunc: bool = True,
                 error: bool = False) -> None:
        self.container = container
        self.sample = sample or {}
        self.trunc = trunc
        self.error = error or sample is None

    def Container(self) -> str:
        return self.container

    def ID(self) -> str:
        identifier = str(self.sample.get("id") or self.container)
        return truncate_id(identifier) if self.trunc else identifier

    def Name(self) -> str:
        name = str(self.sample.get("name") or "")
        return name[1:] if len(name) > 1 else "--"

    def CPUPerc(self) -> str:
        return "--" if self.error else f"{cpu_percent(self.sample):.2f}%"

    def MemUsage(self) -> str:
        if self.error:
            return "-- / --"
        memory = self.sample.get("memory_stats") or {}
        return f"{bytes_size(memory_used(memory))} / {bytes_size(memory.get('limit') or 0)}"

    def MemPerc(self) -> str:
        if self.error:
            return "--"
        memory = self.sample.get("memory_stats") or {}
        limit = float(memory.get("limit") or 0)
        return f"{memory_used(memory) / limit * 100.0 if limit else 0.0:.2f}%"

    def NetIO(self) -> str:
        if self.error:
            return "--"
        rx, tx = network_io(self.sample.get("networks") or {})
        return f"{human_size(rx)} / {human_size(tx)}"

    def BlockIO(self) -> str:
        if self.error:
            return "--"
        read, write = block_io(self.sample.get("blkio_stats") or {})
        return f"{human_size(read)} / {human_size(write)}"

    def PIDs(self) -> str:
        if self.error:
            return "--"
        return str(int((self.sample.get("pids_stats") or {}).get("current") or 0))

    def to_json(self) -> dict[str, str]:
        return {name: getattr(self, name)() for name in sorted(STATS_HEADERS)}
