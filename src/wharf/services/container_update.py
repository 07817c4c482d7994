"""``docker update``: new limits and restart policy for a container, as dockerd's
``ContainerUpdate``: checked (400), merged into the record's HostConfig with its conflict rules
(409, "Cannot update container <id>: ..."), applied live to a running container's cgroup (only
what the request sets, as ``runc update``), kept for the next start, an ``update`` event.

Supported: Memory, MemorySwap, MemoryReservation, NanoCpus, CpuShares, CpuPeriod, CpuQuota,
PidsLimit, RestartPolicy; any other field set to a non-zero value is refused (400)."""

from __future__ import annotations

import asyncio
import os
from typing import Any, Protocol

import msgspec

from wharf.core.errors import Conflict, InvalidParameter, WharfError
from wharf.services.container_config import cgroups_path
from wharf.services.container_record import ContainerRecord
from wharf.services.create_checks import verify_cpu, verify_memory
from wharf.services.engine_types import Resources, RestartPolicy
from wharf.services.protocols import CgroupStatsPort, ContainerStorePort
from wharf.services.restart_policy import parse_restart_policy

CPU_PERIOD = 100_000  # dockerd's period for NanoCpus
SUPPORTED = {"Memory", "MemorySwap", "MemoryReservation", "NanoCpus", "CpuShares",
             "CpuPeriod", "CpuQuota", "PidsLimit", "RestartPolicy"}


class UpdateBody(Resources, kw_only=True, omit_defaults=True):
    """The body of POST /containers/{id}/update: Resources and a RestartPolicy."""

    restart_policy: RestartPolicy | None = msgspec.field(default=None, name="RestartPolicy")


class UpdatableContainers(Protocol):
    def get(self, ref: str) -> ContainerRecord: ...
    def operation_lock(self, container_id: str) -> asyncio.Lock: ...
    def emit(self, record: ContainerRecord, action: str, **extra: str) -> None: ...


def refuse_unsupported(body: UpdateBody) -> None:
    for name, value in msgspec.to_builtins(body).items():
        if name not in SUPPORTED and value not in (None, 0, "", [], {}, False):
            raise InvalidParameter(f"updating {name} is not supported yet")


def verify_update(body: UpdateBody, cpus: int) -> None:
    """dockerd's checks of an update (``verifyContainerSettings`` with update set: a swap
    without a memory limit is allowed, the container has one already)."""
    checked = body if body.memory else msgspec.structs.replace(body, memory_swap=0)
    verify_memory(checked)
    verify_cpu(body, cpus)
    if body.restart_policy is not None and body.restart_policy.name:
        parse_restart_policy(msgspec.to_builtins(body.restart_policy))


CPU_CONFLICTS = (  # (field set now, field set before, dockerd's words)
    ("NanoCpus", "CpuPeriod", "Nano CPUs cannot be updated as CPU Period has already been set"),
    ("NanoCpus", "CpuQuota", "Nano CPUs cannot be updated as CPU Quota has already been set"),
    ("CpuPeriod", "NanoCpus", "CPU Period cannot be updated as NanoCPUs has already been set"),
    ("CpuQuota", "NanoCpus", "CPU Quota cannot be updated as NanoCPUs has already been set"),
)


def merge(host: dict[str, Any], body: UpdateBody) -> dict[str, Any]:
    """The HostConfig fields that change (dockerd's ``UpdateContainer`` rules and words)."""
    given = {"CpuShares": body.cpu_shares, "NanoCpus": body.nano_cpus,
             "CpuPeriod": body.cpu_period, "CpuQuota": body.cpu_quota,
             "MemorySwap": body.memory_swap, "MemoryReservation": body.memory_reservation}
    for now, before, words in CPU_CONFLICTS:
        if (given[now] or 0) > 0 and (host.get(before) or 0) > 0:
            raise Conflict(f"Conflicting options: {words}")
    changes: dict[str, Any] = {name: value for name, value in given.items() if value}
    if body.memory:
        if body.memory > stored_swap(host) and not body.memory_swap:
            raise Conflict("Memory limit should be smaller than already set memoryswap limit, "
                           "update the memoryswap at the same time")
        changes["Memory"] = body.memory
        changes.setdefault("MemorySwap", stored_swap(host))
    if body.pids_limit is not None:  # 0 and any negative value both mean unlimited
        changes["PidsLimit"] = max(body.pids_limit, 0)
    policy = body.restart_policy
    if policy is not None and policy.name:
        if host.get("AutoRemove") and policy.name != "no":
            raise Conflict("Restart policy cannot be updated because AutoRemove is enabled for "
                           "the container")
        changes["RestartPolicy"] = {"Name": policy.name,
                                    "MaximumRetryCount": policy.maximum_retry_count or 0}
    return changes


def stored_swap(host: dict[str, Any]) -> int:
    """MemorySwap as dockerd keeps it: twice the memory when a limit came without a swap."""
    swap, memory = host.get("MemorySwap") or 0, host.get("Memory") or 0
    return 2 * memory if swap == 0 and memory > 0 else swap


def live_resources(body: UpdateBody) -> dict[str, Any]:
    """What the request sets, as OCI resources for the running cgroup."""
    memory = {key: value for key, value in (("limit", body.memory), ("swap", body.memory_swap),
                                            ("reservation", body.memory_reservation)) if value}
    cpu: dict[str, Any] = {"shares": body.cpu_shares or 0, "period": body.cpu_period or 0,
                           "quota": body.cpu_quota or 0}
    if body.nano_cpus:
        cpu["period"], cpu["quota"] = CPU_PERIOD, body.nano_cpus * CPU_PERIOD // 1_000_000_000
    resources: dict[str, Any] = {"memory": memory, "cpu": {k: v for k, v in cpu.items() if v}}
    if body.pids_limit is not None:
        resources["pids"] = {"limit": body.pids_limit}
    return resources


class ContainerUpdateService:
    def __init__(self, containers: UpdatableContainers, store: ContainerStorePort,
                 cgroups: CgroupStatsPort, cpus: int = 0) -> None:
        self._containers = containers
        self._store = store
        self._cgroups = cgroups
        self._cpus = cpus or os.cpu_count() or 1

    async def update(self, ref: str, body: UpdateBody) -> list[str]:
        record = self._containers.get(ref)
        refuse_unsupported(body)
        verify_update(body, self._cpus)
        async with self._containers.operation_lock(record.id):
            if record.state.dead or record.state.status == "removing":
                raise Conflict(f"Cannot update container {record.id}: container is marked "
                               'for removal and cannot be "update"')
            try:
                changes = merge(record.host_config, body)
            except Conflict as err:
                raise Conflict(f"Cannot update container {record.id}: {err}") from None
            if record.state.running and not record.state.restarting:
                await self._apply_live(record, body)
            record.host_config.update(changes)
            self._store.save(record)
        self._containers.emit(record, "update")
        return []

    async def _apply_live(self, record: ContainerRecord, body: UpdateBody) -> None:
        try:
            await asyncio.to_thread(self._cgroups.update, cgroups_path(record.id),
                                    live_resources(body))
        except OSError as err:
            raise WharfError(f"Cannot update container {record.id}: "
                             f"{err.strerror or err}") from None
