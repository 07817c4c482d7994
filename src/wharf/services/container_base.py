"""What every part of the container service shares: the dependencies, the index of records,
the per-container live state and locks, lookups, saving and events.

The service is split at its seams (``containers`` create/remove/streams, ``container_supervision``
start/exit/restore, ``container_signals`` stop/kill/wait/pause); each part is a class on this
base, and ``ContainerService`` is all of them. What one part needs of another is declared here.
"""

from __future__ import annotations

import asyncio

from wharf.core.errors import Conflict
from wharf.services.container_index import ContainerIndex
from wharf.services.container_record import ContainerRecord
from wharf.services.container_support import ContainerDeps, LiveState
from wharf.services.protocols import ShimPort


class ContainerServiceBase:
    def __init__(self, deps: ContainerDeps) -> None:
        self._deps = deps
        self._registry = ContainerIndex()
        self._live: dict[str, LiveState] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    # ---- lookup -------------------------------------------------------------------------
    def get(self, ref: str) -> ContainerRecord:
        return self._registry.get(ref)

    def all(self) -> list[ContainerRecord]:
        return sorted(self._registry, key=lambda r: r.created, reverse=True)

    def live(self, container_id: str) -> LiveState:
        return self._live.setdefault(container_id, LiveState())

    def exec_ids(self, container_id: str) -> list[str]:
        return list(self.live(container_id).exec_ids)

    def shim_of(self, record: ContainerRecord) -> ShimPort:
        shim = self.live(record.id).shim
        if shim is None or not record.state.running:
            raise Conflict(f"Container {record.id} is not running")
        return shim

    def _lock(self, container_id: str) -> asyncio.Lock:
        return self._locks.setdefault(container_id, asyncio.Lock())

    def operation_lock(self, container_id: str) -> asyncio.Lock:
        """The lock start and stop hold: an archive copy or commit that mounts a stopped
        container's rootfs holds it too, so the container does not start meanwhile."""
        return self._lock(container_id)

    def emit(self, record: ContainerRecord, action: str, **extra: str) -> None:
        """A container event of another service (``archive-path``, ``commit``...)."""
        self._emit(record, action, **extra)

    def _save(self, record: ContainerRecord) -> None:
        self._deps.store.save(record)

    def _emit(self, record: ContainerRecord, action: str, **extra: str) -> None:
        attributes = {"image": record.config.get("Image", ""), "name": record.name}
        attributes.update(record.labels)
        attributes.update(extra)
        self._deps.events.publish("container", action, record.id, attributes)

    # ---- what the parts need of each other ---------------------------------------------------
    async def remove(self, ref: str, force: bool, volumes: bool) -> None:
        raise NotImplementedError  # containers.ContainerService

    async def _start_locked(self, record: ContainerRecord) -> None:
        raise NotImplementedError  # container_supervision.ContainerSupervision

    async def _stop_running(self, record: ContainerRecord, stop_signal: int,
                            timeout: int) -> None:
        raise NotImplementedError  # container_signals.ContainerSignals

    async def _kill_and_wait(self, record: ContainerRecord) -> None:
        raise NotImplementedError  # container_signals.ContainerSignals

    def mark_stopped_by_user(self, record: ContainerRecord, signal: int) -> None:
        raise NotImplementedError  # container_restart.ContainerRestarts

    def cancel_restart(self, record: ContainerRecord) -> bool:
        raise NotImplementedError  # container_restart.ContainerRestarts

    def _reset_restarts(self, record: ContainerRecord) -> None:
        raise NotImplementedError  # container_restart.ContainerRestarts
