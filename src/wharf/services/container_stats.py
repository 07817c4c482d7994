"""``docker stats``: samples of a container's cgroup, the host's CPU time and the container's
network counters in Docker's ``ContainerStatsResponse`` shape, as dockerd sends them.

dockerd's rules kept here: one sample a second when streaming (``precpu_stats``/``preread``
are the previous sample's); ``stream=false`` answers with the second sample so the CPU
delta is real, unless ``one-shot``; a container that is not running answers (and streams)
empty stats holding only its name and id; a limit above the machine's memory (no limit) is
reported as the machine's memory."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from typing import Any, Protocol

from wharf.core.errors import NotFound
from wharf.core.stats_shape import empty_blkio, empty_cpu
from wharf.core.timefmt import ZERO_TIME, rfc3339_nano
from wharf.services.container_config import cgroups_path
from wharf.services.container_record import ContainerRecord
from wharf.services.protocols import CgroupStatsPort

INTERVAL = 1.0  # seconds between samples, as dockerd's collector


class HostPort(Protocol):
    def system_cpu(self) -> tuple[int, int]: ...  # (ns of CPU time, online CPUs)
    def networks(self, pid: int) -> dict[str, dict[str, Any]]: ...
    def machine_memory(self) -> int: ...


class RecordLookup(Protocol):
    def get(self, ref: str) -> ContainerRecord: ...


def empty_stats(record: ContainerRecord) -> dict[str, Any]:
    """What dockerd answers for a container that is not running: zero values, name and id."""
    return {"read": ZERO_TIME, "preread": ZERO_TIME, "pids_stats": {},
            "blkio_stats": empty_blkio(), "num_procs": 0, "storage_stats": {},
            "cpu_stats": empty_cpu(), "precpu_stats": empty_cpu(), "memory_stats": {},
            "name": "/" + record.name, "id": record.id}


def _shares_network(record: ContainerRecord) -> bool:
    mode = str(record.host_config.get("NetworkMode") or "")
    return mode == "host" or mode.startswith("container:")


class ContainerStatsService:
    def __init__(self, containers: RecordLookup, cgroups: CgroupStatsPort,
                 host: HostPort) -> None:
        self._containers = containers
        self._cgroups = cgroups
        self._host = host

    def get(self, ref: str) -> ContainerRecord:
        return self._containers.get(ref)

    def sample(self, record: ContainerRecord) -> dict[str, Any]:
        """One sample now (``empty_stats`` when the container is not running)."""
        if not record.state.running:
            return empty_stats(record)
        read = rfc3339_nano()
        cgroup = self._cgroups.stats(cgroups_path(record.id))
        system, online = self._host.system_cpu()
        cpu = dict(cgroup["cpu_stats"])
        cpu["system_cpu_usage"], cpu["online_cpus"] = system, online
        memory = dict(cgroup["memory_stats"])
        machine = self._host.machine_memory()
        if machine > 0 and memory.get("limit", 0) > machine:
            memory["limit"] = machine
        stats = {**empty_stats(record), "read": read, "pids_stats": cgroup["pids_stats"],
                 "blkio_stats": cgroup["blkio_stats"], "cpu_stats": cpu,
                 "memory_stats": memory}
        networks = {} if _shares_network(record) else self._host.networks(record.state.pid)
        if networks:
            stats["networks"] = networks
        return stats

    async def samples(self, ref: str, stream: bool, one_shot: bool = False
                      ) -> AsyncGenerator[dict[str, Any], None]:
        """The answer's samples: endless when ``stream`` (until the container is removed)."""
        record = self.get(ref)
        if not stream and (one_shot or not record.state.running):
            yield self.sample(record)
            return
        previous: dict[str, Any] | None = None
        next_at = time.monotonic()
        while True:
            current = self.sample(record)
            if previous is not None:
                current["precpu_stats"] = previous["cpu_stats"]
                current["preread"] = previous["read"]
            if stream or previous is not None:
                yield current
                if not stream:
                    return
            previous = current
            next_at += INTERVAL
            await asyncio.sleep(max(next_at - time.monotonic(), 0.0))
            try:
                record = self.get(record.id)
            except NotFound:
                return
