"""The container use cases: create, remove, rename, prune, attach and the other streams; with
the parts in ``container_supervision`` (start, exits, restore) and ``container_signals`` (stop,
kill, wait, pause), ``ContainerService`` is the whole service.

Each running container has a shim (``ShimPort``) and one watcher task that awaits its exit,
records it, emits ``die``, unmounts the rootfs and removes AutoRemove containers. State changes
are saved to the containers table as they happen, so a restarted daemon finds every container
(and reconnects to the shims of running ones: live-restore).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from wharf.core.errors import (
    Conflict,
    InvalidParameter,
    NotFound,
)
from wharf.core.logopts import effective_log_config
from wharf.core.timefmt import now_rfc3339
from wharf.services import container_config as cc
from wharf.services import container_network_plan as netplan
from wharf.services import create_checks, create_policy
from wharf.services.container_health_config import on_failure_action
from wharf.services.container_lifecycle import ContainerLifecycle
from wharf.services.container_network_ops import ContainerNetworkOps
from wharf.services.container_platform import check_platform
from wharf.services.container_record import ContainerRecord
from wharf.services.container_signals import ContainerSignals
from wharf.services.container_support import (
    ContainerDeps,
    ContainerPaths,
    LiveState,
)
from wharf.services.engine_types import ContainerCreateBody
from wharf.services.names import new_container_id, random_name, validate_name
from wharf.services.protocols import StreamPort
from wharf.services.volumes_containers import mounts_for_create, remove_anonymous

log = logging.getLogger(__name__)


class ContainerService(ContainerLifecycle, ContainerSignals, ContainerNetworkOps):
    """Every container the daemon knows, and what can be done to them."""

    # ---- create -------------------------------------------------------------------------
    def create(self, name: str, body: ContainerCreateBody,
               platform: str = "") -> tuple[ContainerRecord, list[str]]:
        """A new container from Docker's create body; returns it and the warnings.

        Docker's own checks first (``create_checks``, its messages), then what wharf does not
        implement yet (``create_policy``): either is a 400 before anything is made."""
        warnings = create_checks.verify(body)
        request = msgspec.to_builtins(body)
        create_policy.refuse_unsupported(request)
        on_failure_action(dict(request.get("Labels") or {}))
        host_config = dict(request.pop("HostConfig", None) or {})
        networking = dict(request.pop("NetworkingConfig", None) or {})
        top_level_runtime = request.pop("Runtime", None)
        runtime = host_config.get("Runtime") or top_level_runtime or self._deps.default_runtime
        if runtime not in self._deps.runtimes:
            raise InvalidParameter(f"unknown or invalid runtime name: {runtime}")
        host_config["Runtime"] = runtime
        self._check_security(host_config)
        image_ref = str(request.get("Image") or "")
        if not image_ref:
            raise InvalidParameter("config cannot be empty in order to create a container")
        if name:
            name = validate_name(name)
        image = self._deps.images.resolve(image_ref)
        check_platform(image_ref, image.config, platform)
        config = cc.merge_config(request, dict(image.config.get("config") or image.config))
        path, args = cc.command_line(config)
        host_config = cc.default_host_config(host_config, self._deps.default_runtime)
        host_config["LogConfig"] = effective_log_config(host_config["LogConfig"],
                                                        self._deps.log_opts)
        networking, net_warnings = netplan.networking_at_create(
            self._deps.networking.deps.networks if self._deps.networking else None,
            self.get, config, host_config, networking)
        warnings += net_warnings
        if name:
            self._registry.reserve_name(name)
        mounts = mounts_for_create(self._deps.volumes, config, host_config,
                                   lambda ref: self.get(ref).mounts)
        container_id = new_container_id()
        config["Hostname"] = cc.container_hostname(config, host_config, container_id)
        record = ContainerRecord(
            id=container_id,
            name=name or random_name(self._registry.name_taken),
            created=now_rfc3339(),
            image_id=image.id,
            path=path,
            args=args,
            config=config,
            host_config=host_config,
            networking_config=networking,
            runtime=runtime,
            mounts=mounts,
        )
        self._note_network_settings(record)
        self._make(record, image)
        self._deps.images.mark_used(image.id)
        self._emit(record, "create")
        return record, warnings

    def _check_security(self, host_config: dict[str, Any]) -> None:
        """Capabilities, security options and the seccomp profile, refused now if bad."""
        self._deps.spec.check_security(
            bool(host_config.get("Privileged")), cc.str_slice(host_config.get("CapAdd")),
            cc.str_slice(host_config.get("CapDrop")), list(host_config.get("SecurityOpt") or []))

    def _make(self, record: ContainerRecord, image: Any) -> None:
        """The container's directory, rootfs and stored record (none of them on failure)."""
        container_dir = self._deps.paths.container_dir(record.id)
        container_dir.mkdir(parents=True, mode=0o710)
        try:
            self._deps.rootfs.create(record.id, image)
            record.graph_driver = self._deps.rootfs.graph_driver(record.id)
            self._registry.add(record)
            self._save(record)
        except BaseException:
            self._registry.discard(record.id)
            with contextlib.suppress(Exception):
                self._deps.rootfs.remove(record.id)
            shutil.rmtree(container_dir, ignore_errors=True)
            raise

    # ---- rename / remove / prune --------------------------------------------------------
    def rename(self, ref: str, new_name: str) -> None:
        record = self.get(ref)
        new_name = validate_name(new_name)
        old_name = record.name
        if new_name == old_name:
            raise InvalidParameter("Renaming a container with the same name as its current name")
        self._registry.rename(record, new_name)
        self._save(record)
        self._emit(record, "rename", oldName="/" + old_name)

    async def remove(self, ref: str, force: bool, volumes: bool) -> None:
        record = self.get(ref)
        if record.state.status == "removing":
            raise Conflict(f"removal of container {record.id} is already in progress")
        if record.state.status == "restarting":
            if not force:
                raise Conflict(f"You cannot remove a restarting container {record.id}. Stop the "
                               "container before attempting removal or force remove")
            self.cancel_restart(record)
        if record.state.running:
            if not force:
                verb = "paused" if record.state.paused else "running"
                raise Conflict(
                    f"You cannot remove a {verb} container {record.id}. Stop the container "
                    "before attempting removal or force remove"
                )
            self.live(record.id).removing = True
            try:
                await self._kill_and_wait(record)
            finally:
                self.live(record.id).removing = False
        if record.state.running:
            raise Conflict(f"could not kill running container {record.id}, cannot remove")
        if self._deps.networking is not None:  # its endpoints are gone when rm returns, as
            await self._deps.networking.wait_teardown(record.id)  # compose removes networks next
        record.state.status = "removing"
        self._deps.store.delete(record.id)
        self._registry.discard(record.id)
        live = self._live.pop(record.id, LiveState())
        self._locks.pop(record.id, None)
        live.exited.set()
        live.removed.set()  # waiters learn of the removal now; the files go next
        self._emit(record, "destroy")
        await asyncio.to_thread(self._discard_files, record.id)
        if volumes:
            await remove_anonymous(self._deps.volumes, record)

    def _discard_files(self, container_id: str) -> None:
        """Unmount and delete a removed container's rootfs and directory (blocking I/O: runs
        in a worker thread, so removing many at once neither blocks nor serializes the loop).
        A failure is logged: the record is gone already, the leftovers are only disk space."""
        with contextlib.suppress(Exception):
            self._deps.rootfs.unmount(container_id)
        try:
            self._deps.rootfs.remove(container_id)
        except Exception as err:
            log.warning("removing the filesystem of container %s: %s", container_id, err)
        shutil.rmtree(self._deps.paths.container_dir(container_id), ignore_errors=True)
        try:
            self._deps.images.release_layers()  # of images deleted while this one used them
        except Exception as err:
            log.warning("releasing image layers after container %s: %s", container_id, err)

    async def prune(self, matches: Callable[[ContainerRecord], bool]) -> dict[str, Any]:
        """Remove the stopped containers ``matches`` selects; what each had written is the
        space reclaimed (measured before its removal)."""
        deleted, reclaimed = [], 0
        for record in self.all():
            if record.state.running or not matches(record):
                continue
            size = await asyncio.to_thread(self._written, record.id)
            with contextlib.suppress(NotFound, Conflict):
                await self.remove(record.id, force=False, volumes=False)
                deleted.append(record.id)
                reclaimed += size
        self._deps.events.publish("container", "prune", "", {"reclaimed": str(reclaimed)})
        return {"ContainersDeleted": deleted or None, "SpaceReclaimed": reclaimed}

    async def sizes(self, records: list[ContainerRecord]) -> list[dict[str, int]]:
        """Docker's ``SizeRw`` (what each container wrote) and ``SizeRootFs`` (its image plus
        that). Walks the writable layers (in a worker thread): only on request (``size=1``)."""
        written = await asyncio.to_thread(lambda: [self._written(r.id) for r in records])
        return [{"SizeRw": rw, "SizeRootFs": self._image_size(record) + rw}
                for record, rw in zip(records, written, strict=True)]

    def _image_size(self, record: ContainerRecord) -> int:
        try:
            return self._deps.images.resolve(record.image_id).size
        except NotFound:  # the image was deleted since: its layers are not counted
            return 0

    def _written(self, container_id: str) -> int:
        try:
            return self._deps.rootfs.size(container_id)
        except (NotFound, OSError):  # removed meanwhile
            return 0

    # ---- streams ------------------------------------------------------------------------
    def attachable(self, ref: str) -> ContainerRecord:
        """The container, when it can be attached to (409 when paused)."""
        record = self.get(ref)
        if record.state.paused:
            raise Conflict(f"You cannot attach to a paused container {record.id}, "
                           "unpause it first")
        return record

    async def attach(self, ref: str, stdin: bool, stdout: bool, stderr: bool) -> StreamPort:
        """A stream of the container's stdio; when it is not running, the stream opens at its
        next start (``docker run`` and ``docker start -a`` attach first)."""
        record = self.attachable(ref)
        stdin = stdin and bool(record.config.get("OpenStdin"))
        live = self.live(record.id)
        self._emit(record, "attach")
        if live.shim is not None and record.state.running:
            return await live.shim.attach(stdin, stdout, stderr)
        future: asyncio.Future[StreamPort] = asyncio.get_running_loop().create_future()
        live.pending_attaches.append(((stdin, stdout, stderr), future))
        return await future

    def detached(self, container_id: str) -> None:
        """A client detached with the detach keys (the container keeps running)."""
        with contextlib.suppress(NotFound):
            self._emit(self.get(container_id), "detach")

    async def resize(self, ref: str, height: int, width: int) -> None:
        record = self.get(ref)
        await self.shim_of(record).resize(height, width)

    def changes(self, ref: str) -> list[dict[str, Any]]:
        return self._deps.rootfs.changes(self.get(ref).id)

    def export(self, ref: str) -> Any:
        record = self.get(ref)
        self._emit(record, "export")
        return self._deps.rootfs.export(record.id)

    def pids(self, ref: str) -> list[int]:
        record = self.get(ref)
        if not record.state.running:
            raise Conflict(f"Container {record.id} is not running")
        return self._deps.cgroups.pids(cc.cgroups_path(record.id))

    def log_path(self, record: ContainerRecord) -> Path:
        return self._deps.paths.log_path(record.id)

    def container_dir(self, record: ContainerRecord) -> Path:
        return self._deps.paths.container_dir(record.id)


__all__ = ["ContainerDeps", "ContainerPaths", "ContainerService"]
