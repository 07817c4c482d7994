"""The container use cases: create, start, stop, kill, wait, remove, rename, pause, ...

Each running container has a shim (``ShimPort``) and one watcher task that awaits its exit,
records it, emits ``die``, unmounts the rootfs and removes AutoRemove containers. State changes
are saved to the containers table as they happen, so a restarted daemon finds every container
(and reconnects to the shims of running ones: live-restore).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import signal as signal_module
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wharf.core.errors import (
    Conflict,
    InvalidParameter,
    NotFound,
    NotModified,
    WharfError,
)
from wharf.core.timefmt import now_rfc3339
from wharf.services import container_config as cc
from wharf.services.container_index import ContainerIndex
from wharf.services.container_record import ContainerRecord, ContainerState
from wharf.services.container_support import (
    ContainerDeps,
    ContainerPaths,
    LiveState,
    mount_point,
    user_error,
    wait_event,
)
from wharf.services.names import new_container_id, random_name, validate_name
from wharf.services.protocols import ExitStatusLike, ShimPort, ShimRequest, StreamPort

log = logging.getLogger(__name__)

EXIT_UNKNOWN = 128


class ContainerService:
    """Every container the daemon knows, and what can be done to them."""

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

    def _save(self, record: ContainerRecord) -> None:
        self._deps.store.save(record)

    def _emit(self, record: ContainerRecord, action: str, **extra: str) -> None:
        attributes = {"image": record.config.get("Image", ""), "name": record.name}
        attributes.update(record.labels)
        attributes.update(extra)
        self._deps.events.publish("container", action, record.id, attributes)

    # ---- create -------------------------------------------------------------------------
    def create(self, name: str, body: dict[str, Any]) -> tuple[ContainerRecord, list[str]]:
        """A new container from Docker's create body; returns it and the warnings."""
        host_config = dict(body.pop("HostConfig", None) or {})
        networking = dict(body.pop("NetworkingConfig", None) or {})
        if name:
            name = validate_name(name)
            self._registry.reserve_name(name)
        runtime = host_config.get("Runtime") or self._deps.default_runtime
        if runtime not in self._deps.runtimes:
            raise InvalidParameter(f"unknown or invalid runtime name: {runtime}")
        image_ref = str(body.get("Image") or "")
        if not image_ref:
            raise InvalidParameter("config cannot be empty in order to create a container")
        image = self._deps.images.resolve(image_ref)
        config = cc.merge_config(body, dict(image.config.get("config") or image.config))
        path, args = cc.command_line(config)
        container_id = new_container_id()
        config.setdefault("Hostname", "")
        if not config["Hostname"]:
            config["Hostname"] = container_id[:12]
        name = name or random_name(self._registry.name_taken)
        record = ContainerRecord(
            id=container_id,
            name=name,
            created=now_rfc3339(),
            image_id=image.id,
            path=path,
            args=args,
            config=config,
            host_config=cc.default_host_config(host_config, self._deps.default_runtime),
            networking_config=networking,
            runtime=runtime,
        )
        container_dir = self._deps.paths.container_dir(container_id)
        container_dir.mkdir(parents=True, mode=0o710)
        try:
            self._deps.rootfs.create(container_id, image)
            record.graph_driver = self._deps.rootfs.graph_driver(container_id)
            record.mounts = [mount_point(m) for m in cc.bind_mounts(record.host_config)]
            self._registry.add(record)
            self._save(record)
        except BaseException:
            self._registry.discard(container_id)
            with contextlib.suppress(Exception):
                self._deps.rootfs.remove(container_id)
            shutil.rmtree(container_dir, ignore_errors=True)
            raise
        self._emit(record, "create")
        return record, []

    # ---- start --------------------------------------------------------------------------
    async def start(self, ref: str) -> None:
        record = self.get(ref)
        async with self._lock(record.id):
            if record.state.running:
                raise NotModified("container already started")
            if record.state.status == "removing":
                raise Conflict(f"Container {record.id} is marked for removal and cannot be started")
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
            etc = cc.write_etc_files(
                container_dir, record.config["Hostname"], deps.host_resolv_conf
            )
            fields = cc.spec_fields(record.id, rootfs, record.config, record.host_config, etc)
            spec = deps.spec.build(fields)
            (container_dir / "config.json").write_text(json.dumps(spec))
            (container_dir / "exit.json").unlink(missing_ok=True)
            shim = await deps.shims.launch(self._shim_request(record))
            await self._connect_pending_attaches(record.id, shim)
            pid = await shim.start()
        except BaseException as err:
            self._fail_pending_attaches(record.id, err)
            self._record_start_failure(record, str(err))
            with contextlib.suppress(Exception):
                deps.rootfs.unmount(record.id)
            raise
        live.shim = shim
        record.state = ContainerState(status="running", pid=pid, started_at=now_rfc3339())
        record.has_been_started = True
        self._save(record)
        self._emit(record, "start")
        live.watcher = asyncio.create_task(self._watch(record.id, shim))

    def _shim_request(self, record: ContainerRecord) -> ShimRequest:
        paths = self._deps.paths
        return ShimRequest(
            id=record.id,
            bundle=paths.container_dir(record.id),
            runtime=self._deps.runtimes[record.runtime],
            runtime_root=paths.runtime_root,
            tty=record.tty,
            open_stdin=bool(record.config.get("OpenStdin")),
            stdin_once=bool(record.config.get("StdinOnce")),
            log_path=paths.log_path(record.id),
        )

    def _record_start_failure(self, record: ContainerRecord, message: str) -> None:
        code = EXIT_UNKNOWN
        if "executable file not found" in message or "no such file or directory" in message:
            code = 127
        elif "permission denied" in message:
            code = 126
        record.state.error = message
        record.state.exit_code = code
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
        )
        auto_remove = bool(record.host_config.get("AutoRemove"))
        going = auto_remove or live.removing  # its row is deleted next: no write to disk first
        if not going:
            self._save(record)
        self._emit(record, "die", exitCode=str(record.state.exit_code))
        live.exited.set()
        if auto_remove and not live.removing:
            with contextlib.suppress(NotFound, Conflict):
                await self.remove(container_id, force=False, volumes=True)
            return
        if not going:  # (a removal unmounts it with the rest of its files)
            with contextlib.suppress(Exception):
                self._deps.rootfs.unmount(container_id)

    # ---- restore (daemon start) ---------------------------------------------------------
    async def restore(self) -> None:
        """Load every record; reconnect to the shims of running containers (live-restore)."""
        for text in self._deps.store.load_all():
            try:
                record = ContainerRecord.from_json(text)
            except (ValueError, TypeError, KeyError) as err:
                log.error("skipping an unreadable container record: %s", err)
                continue
            self._registry.add(record)
            if record.state.status == "removing":  # a removal cut short: finish it, as dockerd
                record.state.status = "dead"
                with contextlib.suppress(WharfError):
                    await self.remove(record.id, force=True, volumes=False)
            elif record.state.running:
                await self._reattach(record)
            elif record.has_been_started:
                with contextlib.suppress(Exception):  # a mount left by a crash
                    self._deps.rootfs.unmount(record.id)

    async def _reattach(self, record: ContainerRecord) -> None:
        container_dir = self._deps.paths.container_dir(record.id)
        shim = await self._deps.shims.connect(container_dir)
        if shim is None:
            await self._on_exit(record.id, await self._after_lost_shim(record.id))
            return
        live = self.live(record.id)
        live.shim = shim
        live.watcher = asyncio.create_task(self._watch(record.id, shim))

    async def shutdown(self) -> None:
        """Stop watching (containers keep running: live-restore)."""
        tasks = [live.watcher for live in self._live.values() if live.watcher]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ---- signals ------------------------------------------------------------------------
    async def kill(self, ref: str, signal: str | None) -> None:
        record = self.get(ref)
        number = cc.parse_signal(signal, signal_module.SIGKILL)
        try:
            shim = self.shim_of(record)
        except Conflict as err:
            raise Conflict(f"Cannot kill container: {ref}: {err.message}") from None
        if record.state.paused and number == signal_module.SIGKILL:
            with contextlib.suppress(Exception):
                self._deps.cgroups.thaw(cc.cgroups_path(record.id))
        await shim.kill(number)
        self._emit(record, "kill", signal=str(number))

    async def stop(self, ref: str, timeout: int | None, signal: str | None = None) -> None:
        record = self.get(ref)
        if not record.state.running:
            raise NotModified("container already stopped")
        stop_signal = cc.parse_signal(signal or record.config.get("StopSignal"))
        if timeout is None:
            timeout = record.config.get("StopTimeout")
            timeout = cc.DEFAULT_STOP_TIMEOUT if timeout is None else int(timeout)
        await self._stop_running(record, stop_signal, timeout)
        self._emit(record, "stop")

    async def _stop_running(self, record: ContainerRecord, stop_signal: int, timeout: int) -> None:
        live = self.live(record.id)
        shim = live.shim
        if shim is None:
            return
        if record.state.paused:
            with contextlib.suppress(Exception):
                self._deps.cgroups.thaw(cc.cgroups_path(record.id))
        with contextlib.suppress(Exception):
            await shim.kill(stop_signal)
            self._emit(record, "kill", signal=str(stop_signal))
        if timeout < 0 or await wait_event(live.exited, float(timeout)):
            await live.exited.wait()
            return
        with contextlib.suppress(Exception):
            await shim.kill(signal_module.SIGKILL, all_processes=True)
            self._emit(record, "kill", signal=str(int(signal_module.SIGKILL)))
        await wait_event(live.exited, 30.0)

    async def restart(self, ref: str, timeout: int | None) -> None:
        record = self.get(ref)
        if record.state.running:
            await self.stop(ref, timeout)
        async with self._lock(record.id):
            await self._start_locked(record)
        self._emit(record, "restart")

    # ---- wait ---------------------------------------------------------------------------
    async def wait(self, ref: str, condition: str) -> int:
        """The exit code after ``condition`` (``not-running``, ``next-exit``, ``removed``)."""
        record = self.get(ref)
        live = self.live(record.id)
        if condition in ("", "not-running"):
            if record.state.running:
                await live.exited.wait()
        elif condition == "next-exit":
            if not record.state.running:
                live.exited.clear()
            await live.exited.wait()
        elif condition == "removed":
            await live.removed.wait()
        else:
            raise InvalidParameter(f"invalid condition: {condition!r}")
        return record.state.exit_code

    # ---- pause --------------------------------------------------------------------------
    def pause(self, ref: str) -> None:
        record = self.get(ref)
        if not record.state.running:
            raise Conflict(f"Container {record.id} is not running")
        if record.state.paused:
            raise Conflict(f"Container {record.id} is already paused")
        self._deps.cgroups.freeze(cc.cgroups_path(record.id))
        record.state.status = "paused"
        self._save(record)
        self._emit(record, "pause")

    def unpause(self, ref: str) -> None:
        record = self.get(ref)
        if not record.state.paused:
            raise Conflict(f"Container {record.id} is not paused")
        self._deps.cgroups.thaw(cc.cgroups_path(record.id))
        record.state.status = "running"
        self._save(record)
        self._emit(record, "unpause")

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
        if record.state.running:
            if not force:
                verb = "paused" if record.state.paused else "running"
                raise Conflict(
                    f"You cannot remove a {verb} container {record.id}. Stop the container "
                    "before attempting removal or force remove"
                )
            self.live(record.id).removing = True
            try:
                await self._stop_running(record, signal_module.SIGKILL, 10)
            finally:
                self.live(record.id).removing = False
        if record.state.running:
            raise Conflict(f"could not kill running container {record.id}, cannot remove")
        record.state.status = "removing"
        self._deps.store.delete(record.id)
        self._registry.discard(record.id)
        live = self._live.pop(record.id, LiveState())
        self._locks.pop(record.id, None)
        live.exited.set()
        live.removed.set()  # waiters learn of the removal now; the files go next
        self._emit(record, "destroy")
        await asyncio.to_thread(self._discard_files, record.id)

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
        deleted = []
        for record in self.all():
            if record.state.running or not matches(record):
                continue
            with contextlib.suppress(NotFound, Conflict):
                await self.remove(record.id, force=False, volumes=False)
                deleted.append(record.id)
        self._deps.events.publish("container", "prune", "", {"reclaimed": "0"})
        return {"ContainersDeleted": deleted or None, "SpaceReclaimed": 0}

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
