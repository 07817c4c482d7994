"""``docker exec``: exec instances (create, start through the shim, inspect, resize)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from wharf.core.detachkeys import parse_detach_keys
from wharf.core.errors import Conflict, InvalidParameter, NotFound
from wharf.services.container_config import merge_env
from wharf.services.containers import ContainerService
from wharf.services.events import EventBus
from wharf.services.protocols import SpecPort, StreamPort

FRAME_EXIT = 3


@dataclass
class ExecRecord:
    id: str
    container_id: str
    cmd: list[str]
    env: list[str]
    working_dir: str
    user: str
    tty: bool
    attach_stdin: bool
    attach_stdout: bool
    attach_stderr: bool
    privileged: bool
    detach_keys: str = ""
    running: bool = False
    started: bool = False
    exit_code: int | None = None
    pid: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def to_docker(self) -> dict[str, Any]:
        return {
            "ID": self.id,
            "ContainerID": self.container_id,
            "Running": self.running,
            "ExitCode": self.exit_code,
            "Pid": self.pid,
            "OpenStdin": self.attach_stdin,
            "OpenStdout": self.attach_stdout,
            "OpenStderr": self.attach_stderr,
            "CanRemove": False,
            "DetachKeys": self.detach_keys,
            "ProcessConfig": {
                "tty": self.tty,
                "entrypoint": self.cmd[0] if self.cmd else "",
                "arguments": self.cmd[1:],
                "privileged": self.privileged,
                "user": self.user,
            },
        }


class ExecStream:
    """The exec's stream from the shim; records the exit when its exit frame passes.

    A read is never cut: a reader that is cancelled leaves the read in flight for the next
    one. Closed while the process still runs (its client left or detached), the stream is
    read to its end in the background, so the exit is still recorded."""

    def __init__(self, service: ExecService, record: ExecRecord, stream: StreamPort) -> None:
        self._service = service
        self._record = record
        self._stream = stream
        self._next: asyncio.Task[tuple[int, bytes] | None] | None = None
        self._draining = False

    async def read_frame(self) -> tuple[int, bytes] | None:
        if self._next is None:
            self._next = asyncio.ensure_future(self._stream.read_frame())
        try:
            frame = await asyncio.shield(self._next)
        finally:
            if self._next.done():
                self._next = None
        if frame is None:
            self._service.finish(self._record, None)
        elif frame[0] == FRAME_EXIT:
            code = None
            with contextlib.suppress(ValueError, AttributeError):
                code = int(json.loads(frame[1]).get("exit_code"))
            self._service.finish(self._record, code)
        return frame

    async def write(self, data: bytes) -> None:
        await self._stream.write(data)

    async def close_stdin(self) -> None:
        await self._stream.close_stdin()

    async def drain(self) -> None:
        """Read to the end of the stream (the output goes nowhere), then close it."""
        self._draining = True
        try:
            while await self.read_frame() is not None:
                pass
        finally:
            self.close()

    def close(self) -> None:
        if self._record.running and not self._draining:
            self._service.keep(self.drain())
            return
        if self._next is not None:
            self._next.cancel()
        self._stream.close()


class ExecService:
    def __init__(self, containers: ContainerService, spec: SpecPort, events: EventBus) -> None:
        self._containers = containers
        self._spec = spec
        self._events = events
        self._execs: dict[str, ExecRecord] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def create(self, ref: str, body: dict[str, Any]) -> ExecRecord:
        container = self._containers.get(ref)
        if container.state.status == "restarting":
            raise Conflict(f"Container {container.id} is restarting, wait until the container "
                           "is running")
        if not container.state.running:
            raise Conflict(f"Container {container.id} is not running")
        if container.state.paused:
            raise Conflict(f"Container {container.id} is paused, unpause the container before exec")
        cmd = body.get("Cmd") or []
        if isinstance(cmd, str):
            cmd = [cmd]
        if not cmd:
            raise Conflict("No exec command specified")
        keys = body.get("DetachKeys") or ""
        if keys:
            try:
                parse_detach_keys(str(keys))
            except ValueError:
                raise InvalidParameter(f"Invalid escape keys ({keys}) provided") from None
        record = ExecRecord(
            id=secrets.token_hex(32),
            container_id=container.id,
            cmd=list(cmd),
            env=list(body.get("Env") or []),
            working_dir=body.get("WorkingDir") or "",
            user=body.get("User") or "",
            tty=bool(body.get("Tty")),
            attach_stdin=bool(body.get("AttachStdin")),
            attach_stdout=bool(body.get("AttachStdout")),
            attach_stderr=bool(body.get("AttachStderr")),
            privileged=bool(body.get("Privileged")),
            detach_keys=str(keys),
        )
        self._execs[record.id] = record
        self._containers.live(container.id).exec_ids.append(record.id)
        self._emit(record, "exec_create: " + " ".join(record.cmd))
        return record

    def get(self, exec_id: str) -> ExecRecord:
        record = self._execs.get(exec_id)
        if record is None:
            raise NotFound(f"No such exec instance: {exec_id}")
        return record

    def check_startable(self, exec_id: str, tty: bool | None = None) -> ExecRecord:
        """The exec, when it can start now (409 otherwise); ``tty`` overrides its Tty."""
        record = self.get(exec_id)
        if record.started:
            if record.running:
                raise Conflict(f"Error: Exec command {exec_id} is already running")
            raise Conflict(f"Error: Exec command {exec_id} has already run")
        self._containers.shim_of(self._containers.get(record.container_id))
        if tty is not None:
            record.tty = tty
        return record

    async def start(self, exec_id: str, detach: bool, tty: bool | None = None) -> ExecStream:
        record = self.check_startable(exec_id, tty)
        shim = self._containers.shim_of(self._containers.get(record.container_id))
        process = self._process(record)
        record.started = True
        record.running = True
        try:
            stream = await shim.exec(
                record.id, process, record.tty, record.attach_stdin and not detach
            )
        except BaseException:
            record.running = False
            record.exit_code = 126
            record.done.set()
            raise
        self._emit(record, "exec_start: " + " ".join(record.cmd))
        exec_stream = ExecStream(self, record, stream)
        if detach:
            self.keep(exec_stream.drain())
        return exec_stream

    def finish(self, record: ExecRecord, exit_code: int | None) -> None:
        if not record.running:
            return
        record.running = False
        record.exit_code = exit_code if exit_code is not None else 126
        record.done.set()
        self._emit(record, "exec_die", exitCode=str(record.exit_code))

    def forget(self, exec_id: str) -> None:
        """Drop a finished exec (a health probe's: dockerd unregisters them)."""
        record = self._execs.pop(exec_id, None)
        if record is None:
            return
        with contextlib.suppress(NotFound):
            self._containers.get(record.container_id)
            ids = self._containers.live(record.container_id).exec_ids
            if exec_id in ids:
                ids.remove(exec_id)

    def detached(self, record: ExecRecord) -> None:
        """The client detached with the detach keys (the process keeps running)."""
        with contextlib.suppress(NotFound):
            self._emit(record, "exec_detach")

    def keep(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in the background (held until it ends)."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def resize(self, exec_id: str, height: int, width: int) -> None:
        record = self.get(exec_id)
        container = self._containers.get(record.container_id)
        await self._containers.shim_of(container).resize(height, width, record.id)

    def _process(self, record: ExecRecord) -> dict[str, Any]:
        container = self._containers.get(record.container_id)
        bundle = self._containers.container_dir(container)
        spec = json.loads((bundle / "config.json").read_text())
        process = dict(spec["process"])
        process["terminal"] = record.tty
        process["args"] = record.cmd
        process["env"] = merge_env(list(process.get("env") or []), record.env)
        if record.working_dir:
            process["cwd"] = record.working_dir
        if record.user:
            uid, gid, extra = self._spec.resolve_user(
                bundle / spec.get("root", {}).get("path", "rootfs"), record.user
            )
            process["user"] = {"uid": uid, "gid": gid, "additionalGids": extra}
        if record.privileged:  # docker exec --privileged: every capability
            caps = self._spec.privileged_capabilities()
            process["capabilities"] = {"bounding": caps, "effective": caps, "permitted": caps}
        process.pop("consoleSize", None)
        return process

    def _emit(self, record: ExecRecord, action: str, **extra: str) -> None:
        container = self._containers.get(record.container_id)
        attributes = {
            "execID": record.id,
            "image": container.config.get("Image", ""),
            "name": container.name,
            **extra,
        }
        self._events.publish("container", action, container.id, attributes)
