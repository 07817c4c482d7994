"""The shim protocol's operations (docs/contracts.md): attach, start, state, wait, kill, resize,
exec, and what follows a start that failed or an exec that ended."""

from __future__ import annotations

import contextlib
import json
import signal
from typing import Any

from wharf.core.timefmt import rfc3339_nano
from wharf.runtime.shim import exits
from wharf.runtime.shim.protocol import FRAME_ERROR, FRAME_EXIT, encode_frame
from wharf.runtime.shim.records import Client, Process
from wharf.runtime.shim.runtimes import RuntimeCallError
from wharf.runtime.shim.state import ShimState
from wharf.runtime.shim.stdio import set_window_size, spawn_with_stdio

__all__ = ["FAILED_START_CODE", "Requests"]

FAILED_START_CODE = 128


class Requests(ShimState):
    # ---- requests ---------------------------------------------------------------------------

    def _dispatch(self, client: Client, line: bytes) -> None:
        try:
            request = json.loads(line)
            op = request["op"]
        except (ValueError, KeyError, TypeError):
            self._reply(client, {"error": "malformed request"})
            return
        handler = {
            "attach": self._op_attach,
            "start": self._op_start,
            "state": self._op_state,
            "wait": self._op_wait,
            "kill": self._op_kill,
            "resize": self._op_resize,
            "exec": self._op_exec,
        }.get(op)
        if handler is None:
            self._reply(client, {"error": f"unknown op {op!r}"})
            return
        try:
            handler(client, request)
        except (KeyError, TypeError, ValueError) as e:
            self._reply(client, {"error": f"bad {op} request: {e}"})

    def _op_attach(self, client: Client, request: dict[str, Any]) -> None:
        client.kind = "attach"
        client.streams = frozenset(
            name for name in ("stdout", "stderr") if request.get(name, False)
        )
        if self._config.tty and "stdout" not in client.streams and request.get("stderr"):
            client.streams = frozenset({"stdout"})  # a TTY has one output
        self._reply(client, {"ok": True}, then_close=False)
        if self._finalized_at:
            client.out += self._exit_frame()
            client.close_when_flushed = True
        elif request.get("stdin") and self._config.open_stdin:
            client.stdin_target = self._init

    def _op_state(self, client: Client, _request: dict[str, Any]) -> None:
        self._reply(client, {
            "status": self._status,
            "pid": self._init.pid,
            "exit_code": self._exit_code if self._finalized_at else None,
            "started_at": self._started_at,
            "finished_at": self._finished_at,
            "oom_killed": self._oom,
        })

    def _wait_answer(self) -> dict[str, Any]:
        return {"exit_code": self._exit_code, "finished_at": self._finished_at,
                "oom_killed": self._oom}

    def _op_wait(self, client: Client, _request: dict[str, Any]) -> None:
        if self._finalized_at:
            self._reply(client, self._wait_answer())
        else:
            client.kind = "wait"

    def _op_kill(self, client: Client, request: dict[str, Any]) -> None:
        if self._status != "running" or self._init.wait_status is not None:
            self._reply(client, {"error": f"container {self._config.id} is not running"})
            return
        try:
            self._runtime.kill(int(request.get("signal", signal.SIGKILL)), bool(request.get("all")))
        except RuntimeCallError as e:
            self._reply(client, {"error": str(e)})
            return
        self._reply(client, {"ok": True})

    def _op_resize(self, client: Client, request: dict[str, Any]) -> None:
        exec_id = str(request.get("exec_id") or "")
        process = self._init if not exec_id else next(
            (p for p in self._execs if p.exec_id == exec_id), None
        )
        if process is None:
            self._reply(client, {"error": f"no such exec: {exec_id}"})
            return
        if process.stdio.pty is not None:
            try:
                set_window_size(process.stdio.pty, int(request["height"]), int(request["width"]))
            except OSError as e:
                self._reply(client, {"error": f"resize: {e.strerror}"})
                return
        self._reply(client, {"ok": True})

    # ---- start and exec -----------------------------------------------------------------------

    def _op_start(self, client: Client, _request: dict[str, Any]) -> None:
        if self._status != "created":
            self._reply(client, {"error": f"container {self._config.id} already started"})
            return
        pid_file = self._config.bundle / "init.pid"
        try:
            pid, stdio = spawn_with_stdio(
                self._config.bundle, self._config.tty, self._config.open_stdin,
                lambda fds, console: self._runtime.create(fds, console, pid_file),
            )
        except RuntimeCallError as e:
            self._reply(client, {"error": str(e)})
            self._fail_start(str(e))
            return
        self._init.stdio = stdio
        self._watch(self._init)
        self._adopt(self._init, pid)
        if self._init.stdin_closing and not self._init.stdin_buffer:
            self._close_stdin(self._init)  # the attached client's input ended before start
        try:
            self._runtime.start()
        except RuntimeCallError as e:
            with contextlib.suppress(RuntimeCallError):
                self._runtime.delete(force=True)
            self._reply(client, {"error": str(e)})
            self._fail_start(str(e))
            return
        self._status = "running"
        self._started_at = rfc3339_nano()
        self._reply(client, {"pid": pid})

    def _fail_start(self, message: str) -> None:
        self._exit_code = FAILED_START_CODE
        self._finished_at = rfc3339_nano()
        for fd in list(self._init.stdio.outputs):
            self._loop.forget(fd)
        self._init.stdio.close_all()  # whatever the runtime wrote there is not container output
        error = encode_frame(FRAME_ERROR, json.dumps({"message": message}).encode())
        for client in self._clients:
            if client.kind == "attach":
                client.out += error
                client.stdin_target = None
                client.close_when_flushed = True
        self._finalize()

    def _op_exec(self, client: Client, request: dict[str, Any]) -> None:
        if self._status != "running" or self._init.wait_status is not None:
            self._reply(client, {"error": f"container {self._config.id} is not running"})
            return
        exec_id = str(request["exec_id"])
        tty, with_stdin = bool(request.get("tty")), bool(request.get("stdin"))
        process_spec = self._bundle.exec_process(dict(request["process"]), tty)
        safe_id = "".join(ch for ch in exec_id if ch.isalnum() or ch in "-_")[:64] or "x"
        pid_file = self._config.bundle / f"exec-{safe_id}.pid"
        try:
            pid, stdio = spawn_with_stdio(
                self._config.bundle, tty, with_stdin,
                lambda fds, console: self._runtime.exec(process_spec, fds, console, pid_file),
            )
        except RuntimeCallError as e:
            self._reply(client, {"error": str(e)})
            return
        finally:
            with contextlib.suppress(FileNotFoundError):
                pid_file.unlink()
        client.kind = "exec"
        process = Process(exec_id=exec_id, tty=tty, stdio=stdio, stream=client)
        self._execs.append(process)
        self._watch(process)
        self._adopt(process, pid)
        self._reply(client, {"ok": True}, then_close=False)
        if with_stdin:
            client.stdin_target = process

    def _finish_exec(self, process: Process) -> None:
        for fd in list(process.stdio.outputs):
            self._loop.forget(fd)
        if process.stdio.stdin is not None:
            self._loop.forget(process.stdio.stdin)
        process.stdio.close_all()
        self._execs.remove(process)
        client = process.stream
        if client is not None:
            code = exits.exit_code_of(process.wait_status or 0)
            client.out += encode_frame(FRAME_EXIT, json.dumps({"exit_code": code}).encode())
            client.stdin_target = None
            client.close_when_flushed = True
