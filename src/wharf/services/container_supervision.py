"""Running containers: start (through a shim), watch for the exit and record it, and clean up
after a shim that was lost. (The daemon's start and stop: ``container_lifecycle``.)"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil

from wharf.core.errors import Conflict, NotFound, NotModified, WharfError
from wharf.core.logopts import log_rotation
from wharf.core.shimconfig import ShimConfig
from wharf.core.timefmt import now_rfc3339
from wharf.lib.atomicfile import write_atomic
from wharf.services import container_config as cc
from wharf.services import container_network_start as netstart
from wharf.services.container_record import ContainerRecord, ContainerState
from wharf.services.container_restart import ContainerRestarts, ran_for
from wharf.services.container_support import user_error
from wharf.services.protocols import ExitStatusLike, ShimPort
from wharf.services.volumes_containers import release_volumes, volumes_for_start

log = logging.getLogger(__name__)

EXIT_UNKNOWN = 128


class ContainerSupervision(ContainerRestarts):
    # ---- start --------------------------------------------------------------------------
    async def start(self, ref: str) -> None:
        record = self.get(ref)
        async with self._lock(record.id):
            if record.state.running or record.state.status == "restarting":
                raise NotModified("container already started")
            if record.state.status == "removing":
                raise Conflict(f"Container {record.id} is marked for removal and cannot be started")
            self._reset_restarts(record)
            try:
                await self._start_locked(record)
            except WharfError as err:
                failure = user_error(err)
            else:
                return
        if record.host_config.get("AutoRemove"):  # dockerd removes a --rm container it could
            with contextlib.suppress(WharfError):  # not start
                await self.remove(record.id, force=True, volumes=True)
        raise failure

    async def _start_locked(self, record: ContainerRecord) -> None:
        deps = self._deps
        container_dir = deps.paths.container_dir(record.id)
        rootfs = deps.rootfs.mount(record.id)
        live = self.live(record.id)
        live.exited.clear()
        try:
            net, texts = await netstart.prepare(deps.networking, record, self.get,
                                                deps.host_resolv_conf)
            etc = netstart.peer_etc_files(record, self.get, container_dir) or \
                cc.write_etc_files(container_dir, record.config["Hostname"], texts.hosts,
                                   texts.resolv)
            fields = cc.spec_fields(record.id, rootfs, record.config, record.host_config, etc,
                                    net.netns_path)
            fields["extra_mounts"] += await volumes_for_start(deps.volumes, record, rootfs)
            spec = deps.spec.build(fields)
            write_atomic(container_dir / "config.json", json.dumps(spec).encode(), 0o600,
                         durable=False)  # rewritten at every start; never seen half-written
            (container_dir / "exit.json").unlink(missing_ok=True)
            shim = await deps.shims.launch(self._shim_config(record))
            await self._connect_pending_attaches(record.id, shim)
            pid = await shim.start()
        except BaseException as err:
            self._fail_pending_attaches(record.id, err)
            if deps.networking is not None:
                deps.networking.schedule_teardown(record.id)
            self._record_start_failure(record, str(err))
            release_volumes(deps.volumes, record)
            with contextlib.suppress(Exception):
                deps.rootfs.unmount(record.id)
            raise
        live.shim = shim
        record.state = ContainerState(status="running", pid=pid, started_at=now_rfc3339(),
                                      health=record.state.health)
        record.has_been_started = True
        self._note_network(record)
        self._save(record)
        self._emit(record, "start")
        live.watcher = asyncio.create_task(self._watch(record.id, shim))
        self._notify_started(record)

    def _note_network(self, record: ContainerRecord) -> None:
        """inspect's NetworkSettings, as of now (saved with the record)."""
        if self._deps.networking is not None:
            self._deps.networking.note(record)

    def _shim_config(self, record: ContainerRecord) -> ShimConfig:
        paths = self._deps.paths
        log_config = record.host_config.get("LogConfig") or {}
        rotation = log_rotation(self._deps.log_opts, dict(log_config.get("Config") or {}))
        return ShimConfig(
            id=record.id,
            bundle=paths.container_dir(record.id),
            runtime=self._deps.runtimes[record.runtime],
            runtime_root=paths.runtime_root,
            tty=record.tty,
            open_stdin=bool(record.config.get("OpenStdin")),
            stdin_once=bool(record.config.get("StdinOnce")),
            log_path=paths.log_path(record.id),
            log_max_size=rotation.max_size,
            log_max_files=rotation.max_files,
        )

    def _record_start_failure(self, record: ContainerRecord, message: str) -> None:
        code = EXIT_UNKNOWN
        if "executable file not found" in message or "no such file or directory" in message:
            code = 127
        elif "permission denied" in message:
            code = 126
        record.state.error = message
        record.state.exit_code = code
        record.state.restarting = False
        if record.has_been_started:
            record.state.status = "exited"
        self._save(record)

    async def _connect_pending_attaches(self, container_id: str, shim: ShimPort) -> None:
        """Attach the clients that waited for the start (before it: all output is theirs).
        Input they send before the process exists waits in the shim."""
        live = self.live(container_id)
        pending, live.pending_attaches = live.pending_attaches, []
        waiting = [(streams, future) for streams, future in pending if not future.done()]
        attached = await asyncio.gather(*(shim.attach(*streams) for streams, _ in waiting),
                                        return_exceptions=True)
        for (_, future), stream in zip(waiting, attached, strict=True):
            if isinstance(stream, BaseException):
                if not future.done():
                    future.set_exception(Conflict(f"cannot attach: {stream}"))
            elif future.done():  # the client left meanwhile
                stream.close()
            else:
                future.set_result(stream)

    def _fail_pending_attaches(self, container_id: str, err: BaseException) -> None:
        pending, self.live(container_id).pending_attaches = (
            self.live(container_id).pending_attaches,
            [],
        )
        for _, future in pending:
            if not future.done():
                future.set_exception(Conflict(str(err) or "container failed to start"))

    # ---- exit handling ------------------------------------------------------------------
    async def _watch(self, container_id: str, shim: ShimPort) -> None:
        try:
            status: ExitStatusLike | None = await shim.wait()
        except asyncio.CancelledError:
            raise
        except Exception as err:
            log.warning("lost the shim of %s: %s", container_id, err)
            status = await self._after_lost_shim(container_id)
        await self._on_exit(container_id, status)

    async def _after_lost_shim(self, container_id: str) -> ExitStatusLike | None:
        """The shim is gone. If it recorded the exit, that is the answer; if it died first
        (killed), its container's processes run unsupervised: kill them and remove their
        cgroup and runtime state, as containerd does with ``runc delete --force``."""
        status = self._deps.shims.read_exit_status(self._deps.paths.container_dir(container_id))
        if status is None:
            await asyncio.to_thread(self._destroy_leftovers, container_id)
        return status

    def _destroy_leftovers(self, container_id: str) -> None:
        try:
            self._deps.cgroups.destroy(cc.cgroups_path(container_id))
        except Exception as err:
            log.warning("cleaning up after the lost shim of %s: %s", container_id, err)
        shutil.rmtree(self._deps.paths.runtime_root / container_id, ignore_errors=True)

    async def _on_exit(self, container_id: str, status: ExitStatusLike | None) -> None:
        try:
            record = self._registry.get(container_id)
        except NotFound:
            return
        live = self.live(container_id)
        live.shim = None
        live.watcher = None
        record.state = ContainerState(
            status="exited",
            exit_code=status.exit_code if status else 255,
            oom_killed=status.oom_killed if status else False,
            started_at=(
                status.started_at if status and status.started_at else record.state.started_at
            ),
            finished_at=status.finished_at if status and status.finished_at else now_rfc3339(),
            error="" if status else "the container's shim disappeared",
            health=record.state.health,
        )
        self._notify_stopped(container_id)
        if self._deps.networking is not None:
            self._deps.networking.schedule_teardown(container_id)
        self._note_network(record)
        auto_remove = bool(record.host_config.get("AutoRemove"))
        going = auto_remove or live.removing  # its row is deleted next: no write to disk first
        delay = None if going else self._restart_delay(record)
        if delay is not None:
            self._mark_restarting(record)
        if not going:
            self._save(record)
        self._emit_exit(record)
        live.exited.set()
        release_volumes(self._deps.volumes, record)
        if auto_remove and not live.removing:
            with contextlib.suppress(NotFound, Conflict):
                await self.remove(container_id, force=False, volumes=True)
            return
        if not going:  # (a removal unmounts it with the rest of its files)
            with contextlib.suppress(Exception):
                self._deps.rootfs.unmount(container_id)
        if delay is not None:  # (never for a container on its way out)
            self._schedule_restart(record, delay)

    def _emit_exit(self, record: ContainerRecord) -> None:
        """dockerd's events of an exit: ``oom`` first when the kernel killed it, then ``die``
        with its exit code and how long it ran (whole seconds)."""
        if record.state.oom_killed:
            self._emit(record, "oom")
        self._emit(record, "die", exitCode=str(record.state.exit_code),
                   execDuration=str(int(ran_for(record))))
