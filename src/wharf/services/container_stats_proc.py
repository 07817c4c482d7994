"""What ``docker stats`` reads of the host beside the cgroup: /proc/stat (the system's CPU time
and online CPUs, as dockerd samples them) and a container's interface counters from
/proc/<init pid>/net/dev (its network namespace; ``lo`` left out, as dockerd reports only the
container's endpoints); the machine's memory from /proc/meminfo (``docker info``'s
``MemTotal``, the cap of the limit stats show). Parsers are pure; the readers take the
paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CLOCK_TICKS = 100  # USER_HZ
NANOS = 1_000_000_000
NET_FIELDS = ("rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
              "tx_bytes", "tx_packets", "tx_errors", "tx_dropped")
NET_COLUMNS = (0, 1, 2, 3, 8, 9, 10, 11)  # their columns in /proc/net/dev


def parse_proc_stat(text: str) -> tuple[int, int]:
    """(system CPU time in ns: user..softirq of the ``cpu`` line, number of ``cpuN`` lines)."""
    total, online = 0, 0
    for line in text.splitlines():
        name, *fields = line.split()
        if name == "cpu":
            if len(fields) < 7:
                raise ValueError("invalid number of cpu fields")
            total = sum(int(value) for value in fields[:7]) * NANOS // CLOCK_TICKS
        elif name.startswith("cpu") and name[3:].isdigit():
            online += 1
    return total, online


def parse_net_dev(text: str) -> dict[str, dict[str, int]]:
    """Interface → Docker's counters, ``lo`` excluded."""
    interfaces: dict[str, dict[str, int]] = {}
    for line in text.splitlines()[2:]:
        name, sep, rest = line.partition(":")
        values = rest.split()
        name = name.strip()
        if not sep or name == "lo" or len(values) < 12:
            continue
        interfaces[name] = {key: int(values[column])
                            for key, column in zip(NET_FIELDS, NET_COLUMNS, strict=True)}
    return interfaces


def parse_mem_total(text: str) -> int:
    """``MemTotal`` of /proc/meminfo in bytes (0 when it is missing)."""
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name == "MemTotal":
            value = rest.split()[:1]
            return int(value[0]) * 1024 if value and value[0].isdigit() else 0
    return 0


class ProcHost:
    """The host's /proc (a root for tests)."""

    def __init__(self, proc: Path = Path("/proc")) -> None:
        self._proc = proc

    def system_cpu(self) -> tuple[int, int]:
        return parse_proc_stat((self._proc / "stat").read_text())

    def networks(self, pid: int) -> dict[str, dict[str, Any]]:
        """The counters of the namespace ``pid`` lives in (none once it is gone)."""
        try:
            return dict(parse_net_dev((self._proc / str(pid) / "net" / "dev").read_text()))
        except (FileNotFoundError, ProcessLookupError):
            return {}

    def machine_memory(self) -> int:
        """The machine's memory in bytes (0 when /proc does not tell)."""
        try:
            return parse_mem_total((self._proc / "meminfo").read_text())
        except OSError:
            return 0
