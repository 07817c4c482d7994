"""Volumes: ``docker volume create/ls/inspect/rm/prune`` with dockerd's rules and words, and
the counting of which containers have a volume mounted (``volumes_containers`` is the
container side). The driver is ``volumes.local.LocalVolumes`` behind :class:`VolumeDriverPort`;
"in use" comes from the containers that reference a volume (``users_of``, from wiring)."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from wharf.core.errors import Conflict, InvalidParameter, NotFound, WharfError
from wharf.core.metadata import VolumeRecord, VolumeRecords
from wharf.core.timefmt import seconds_rfc3339
from wharf.services.events import EventBus
from wharf.services.volumes_filters import list_matcher, prune_matcher

__all__ = ["ANONYMOUS_LABEL", "VolumeDriverPort", "VolumeService", "check_volume_name"]

ANONYMOUS_LABEL = "com.docker.volume.anonymous"  # Docker 23+: what prune removes by default
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
_NAME_CHARS = "[a-zA-Z0-9][a-zA-Z0-9_.-]"


class VolumeDriverPort(Protocol):
    """The local driver (``wharf.volumes.local.LocalVolumes``)."""

    def path(self, name: str) -> Path: ...
    def create(self, name: str, options: Mapping[str, str]) -> Path: ...
    def mount(self, name: str) -> Path: ...
    def unmount(self, name: str) -> None: ...
    def remove(self, name: str) -> None: ...
    def size(self, name: str) -> int: ...
    def is_empty(self, name: str) -> bool: ...


class VolumeService:
    def __init__(self, records: VolumeRecords, driver: VolumeDriverPort, events: EventBus,
                 users_of: Callable[[str], list[str]]) -> None:
        self._records = records
        self._driver = driver
        self._events = events
        self._users_of = users_of
        self._mounted_by: dict[str, set[str]] = {}  # volume → ids of running containers

    # ---- docker volume ... --------------------------------------------------------------
    def create(self, name: str = "", driver: str = "", driver_opts: Mapping[str, str] | None
               = None, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
        """A new volume (an existing one of that name is returned as it is, as dockerd does);
        no name makes a random 64-hex name. Labels and options are maps here even when not
        given (``volume create`` shows ``{}``; a volume a container made shows null)."""
        record = self.ensure(name or secrets.token_hex(32), driver, dict(driver_opts or {}),
                             dict(labels or {}))
        return self.inspect(record.name)

    def ensure(self, name: str, driver: str = "", driver_opts: Mapping[str, str] | None = None,
               labels: Mapping[str, str] | None = None) -> VolumeRecord:
        existing = self._records.get_volume(name)
        if existing is not None:
            return existing
        check_volume_name(name)
        driver = driver or "local"
        if driver != "local":
            raise NotFound(f"create {name}: error looking up volume plugin {driver}: "
                           f'plugin "{driver}" not found')
        options = None if driver_opts is None else dict(driver_opts)
        try:
            self._driver.create(name, options or {})
        except InvalidParameter as err:
            raise InvalidParameter(f"create {name}: {err.message}") from None
        record = VolumeRecord(name, driver, seconds_rfc3339(int(time.time())),
                              None if labels is None else dict(labels), options)
        self._records.put_volume(record)
        self._events.publish("volume", "create", name, {"driver": driver})
        return record

    def get(self, name: str) -> VolumeRecord:
        record = self._records.get_volume(name)
        if record is None:
            raise NotFound(f"get {name}: no such volume")
        return record

    def inspect(self, name: str) -> dict[str, Any]:
        return self._view(self.get(name))

    def listing(self, filters: Mapping[str, list[str]]) -> dict[str, Any]:
        matches = list_matcher(filters, self._in_use)
        volumes = [self._view(r) for r in self._records.list_volumes() if matches(r)]
        return {"Volumes": volumes, "Warnings": None}

    async def remove(self, name: str, force: bool = False) -> None:
        record = self._records.get_volume(name)
        if record is None:
            if force:
                return
            raise NotFound(f"get {name}: no such volume")
        users = self._users_of(name)
        if users:
            raise Conflict(f"remove {name}: volume is in use - [{', '.join(users)}]")
        try:
            await asyncio.to_thread(self._driver.remove, name)
        except WharfError:
            if not force:
                raise
        self._records.delete_volume(name)
        self._events.publish("volume", "destroy", name, {"driver": record.driver})

    async def prune(self, filters: Mapping[str, list[str]]) -> dict[str, Any]:
        """Remove the unused volumes the filters select: anonymous ones only unless
        ``all=true`` (Docker 23+)."""
        matches = prune_matcher(filters, ANONYMOUS_LABEL)
        deleted, reclaimed = [], 0
        for record in self._records.list_volumes():
            if not matches(record) or self._in_use(record.name):
                continue
            size = await asyncio.to_thread(self._driver.size, record.name)
            try:
                await self.remove(record.name)
            except (Conflict, NotFound):
                continue
            deleted.append(record.name)
            reclaimed += size
        self._events.publish("volume", "prune", "", {"reclaimed": str(reclaimed)})
        return {"VolumesDeleted": deleted or None, "SpaceReclaimed": reclaimed}

    def usage(self) -> list[dict[str, Any]]:
        """``system df``'s volumes: each with its size and how many containers use it
        (blocking: walks every volume)."""
        return [{**self._view(record), "UsageData": {
                    "Size": self._driver.size(record.name),
                    "RefCount": len(self._users_of(record.name))}}
                for record in self._records.list_volumes()]

    # ---- containers ---------------------------------------------------------------------
    def path(self, name: str) -> Path:
        return self._driver.path(name)

    def is_empty(self, name: str) -> bool:
        return self._driver.is_empty(name)

    def mount_for(self, container_id: str, name: str, attributes: Mapping[str, str]) -> Path:
        """The volume's host path for a starting container (its filesystem mounted by the
        first user); a ``mount`` event as dockerd's."""
        record = self.get(name)
        users = self._mounted_by.setdefault(name, set())
        path = self._driver.mount(name) if not users else self._driver.path(name)
        users.add(container_id)
        self._events.publish("volume", "mount", name, {
            "container": container_id, "driver": record.driver, **attributes})
        return path

    def release(self, container_id: str, name: str) -> None:
        """A container using the volume stopped; the last one unmounts its filesystem."""
        users = self._mounted_by.get(name)
        if users is None or container_id not in users:
            return
        users.discard(container_id)
        record = self._records.get_volume(name)
        if not users:
            del self._mounted_by[name]
            if record is not None:
                self._driver.unmount(name)
        self._events.publish("volume", "unmount", name, {
            "container": container_id, "driver": record.driver if record else "local"})

    def restore(self, running: Mapping[str, list[str]]) -> None:
        """Rebuild the counts at daemon start from the running containers (container id →
        volume names); a volume no running container uses is unmounted."""
        self._mounted_by = {}
        for container_id, names in running.items():
            for name in names:
                self._mounted_by.setdefault(name, set()).add(container_id)
        for record in self._records.list_volumes():
            if record.name not in self._mounted_by:
                self._driver.unmount(record.name)

    # ---- helpers ------------------------------------------------------------------------
    def _in_use(self, name: str) -> bool:
        return bool(self._users_of(name))

    def _view(self, record: VolumeRecord) -> dict[str, Any]:
        return {
            "CreatedAt": record.created,
            "Driver": record.driver,
            "Labels": record.labels,
            "Mountpoint": str(self._driver.path(record.name)),
            "Name": record.name,
            "Options": record.options,
            "Scope": "local",
        }


def check_volume_name(name: str) -> None:
    """dockerd's local driver rules and words for a volume name."""
    if len(name) == 1:
        raise InvalidParameter(f"create {name}: volume name is too short, names should be at "
                               "least two alphanumeric characters")
    if not _NAME.match(name):
        raise InvalidParameter(
            f'create {name}: "{name}" includes invalid characters for a local volume name, '
            f'only "{_NAME_CHARS}" are allowed. If you intended to pass a host directory, use '
            "absolute path")
