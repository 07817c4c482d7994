"""The shim's event loop: one thread, ``selectors``, level-triggered interest.

Each turn recomputes which fds it wants to read or write (so back-pressure is just "do not ask to
read"): a container's output is not read while an attached client has more than ``HIGH_WATER``
bytes queued, and a client's input is not read while the process's stdin has as much pending.
Children are reaped on SIGCHLD (delivered through the signal wake-up fd).

Runtime calls (create/start/exec/kill/delete) are synchronous: the loop pauses for them (tens of
milliseconds; bounded), and connections made meanwhile wait in the listen backlog.

Life: bind shim.sock, write shim.pid, notify, serve; ``start`` runs the runtime; when init is
reaped the output is drained (bounded), the OOM verdict read, the runtime's ``delete`` run,
exit.json written, waiters and attached clients told; after a bounded linger the shim exits.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from wharf.core.timefmt import ZERO_TIME, rfc3339_nano
from wharf.runtime.shim import exits
from wharf.runtime.shim.bundle import BundleSpec
from wharf.runtime.shim.eventloop import READ, WRITE, EventLoop, Handler, reap_children
from wharf.runtime.shim.jsonlog import JsonLogWriter
from wharf.runtime.shim.protocol import (
    FRAME_ERROR,
    FRAME_EXIT,
    FRAME_STDERR,
    FRAME_STDOUT,
    PID_FILE,
    SOCKET_FILE,
    ShimConfig,
    encode_frame,
    replace_file,
)
from wharf.runtime.shim.records import Client, Process
from wharf.runtime.shim.runtimes import RuntimeCallError, ShimRuntime
from wharf.runtime.shim.stdio import set_window_size, spawn_with_stdio

__all__ = ["Shim"]

READ_SIZE = 64 * 1024
HIGH_WATER = 1024 * 1024
MAX_REQUEST = 1024 * 1024
DRAIN_TIMEOUT = 3.0  # output read after a process exits (its orphans may hold the pipe)
LINGER_TIMEOUT = 5.0  # for clients to take their last frames once the container is gone
FAILED_START_CODE = 128
MAX_UNCLAIMED = 1024



class Shim:
    """Serves one container until it has exited and its clients have been told."""

    def __init__(self, container_dir: Path, config: ShimConfig, runtime: ShimRuntime) -> None:
        self._dir = container_dir
        self._config = config
        self._runtime = runtime
        self._loop = EventLoop()
        self._bundle = BundleSpec(config.bundle)
        self._clients: list[Client] = []
        self._init = Process(exec_id="", tty=config.tty)
        self._execs: list[Process] = []
        self._unclaimed: dict[int, int] = {}  # reaped pids nobody claimed yet → wait status
        self._status = "created"
        self._exit_code: int | None = None
        self._oom = False
        self._started_at = ZERO_TIME
        self._finished_at = ZERO_TIME
        self._finalized_at = 0.0
        self._log = JsonLogWriter(config.log_path, config.log_max_size, config.log_max_files)
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)

    # ---- set-up and the loop --------------------------------------------------------------

    def listen(self) -> None:
        """Bind shim.sock and write shim.pid (the caller then tells its launcher)."""
        path = self._dir / SOCKET_FILE
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        dir_fd = os.open(self._dir, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:  # bound through the directory's fd: a long data root cannot exceed sun_path
            self._listener.bind(f"/proc/self/fd/{dir_fd}/{SOCKET_FILE}")
        finally:
            os.close(dir_fd)
        os.chmod(path, 0o600)
        self._listener.listen(64)
        self._listener.setblocking(False)
        replace_file(self._dir / PID_FILE, f"{os.getpid()}\n".encode(), 0o644)

    def run(self) -> int:
        """Serve until done; returns the shim's own exit status (0)."""
        self._loop.catch_sigchld()
        self._loop.on(self._listener.fileno(), self._on_accept)
        self._loop.on(self._loop.wake_fd, self._on_wake)
        try:
            while not self._done():
                self._loop.set_interest(self._desired_masks())
                self._loop.poll(self._timeout())
                self._advance()
        finally:
            self._shutdown()
        return 0

    def _done(self) -> bool:
        if not self._finalized_at:
            return False
        busy = any(c.out for c in self._clients) or bool(self._execs)
        return not busy or time.monotonic() > self._finalized_at + LINGER_TIMEOUT

    def _timeout(self) -> float | None:
        if self._finalized_at:
            return 0.1
        if self._init.reaped_at or any(p.reaped_at for p in self._execs):
            return 0.05
        return None

    def _shutdown(self) -> None:
        for client in list(self._clients):
            self._drop(client)
        for process in [self._init, *self._execs]:
            process.stdio.close_all()
        self._loop.close()
        self._listener.close()
        with contextlib.suppress(FileNotFoundError):
            (self._dir / SOCKET_FILE).unlink()
        self._log.close()

    # ---- interest ---------------------------------------------------------------------------

    def _desired_masks(self) -> dict[int, int]:
        wanted = {self._listener.fileno(): READ, self._loop.wake_fd: READ}
        for process in [self._init, *self._execs]:
            # Once the process has exited what is left is bounded (the pipes' buffers): read
            # it all, so the log is complete even when a client is slow.
            congested = not process.reaped_at and any(
                len(c.out) > HIGH_WATER for c in self._destinations(process)
            )
            for fd in process.stdio.outputs:
                if not congested:
                    wanted[fd] = wanted.get(fd, 0) | READ
            if process.stdio.stdin is not None and process.stdin_buffer:
                fd = process.stdio.stdin
                wanted[fd] = wanted.get(fd, 0) | WRITE
        for client in self._clients:
            mask = WRITE if client.out else 0
            target = client.stdin_target
            if client.reading and not (target and len(target.stdin_buffer) > HIGH_WATER):
                mask |= READ
            if mask:
                wanted[client.fd] = mask
        return wanted

    # ---- children ---------------------------------------------------------------------------

    def _on_wake(self, _mask: int) -> None:
        self._loop.drain_wakeups()
        for pid, status in reap_children():
            if not self._claim(pid, status):
                if len(self._unclaimed) >= MAX_UNCLAIMED:
                    self._unclaimed.pop(next(iter(self._unclaimed)))
                self._unclaimed[pid] = status

    def _claim(self, pid: int, status: int) -> bool:
        for process in [self._init, *self._execs]:
            if process.pid == pid and process.wait_status is None:
                process.wait_status = status
                process.reaped_at = time.monotonic()
                if process.is_init:
                    self._exit_code = exits.exit_code_of(status)
                    self._finished_at = rfc3339_nano()
                return True
        return False

    def _adopt(self, process: Process, pid: int) -> None:
        process.pid = pid
        status = self._unclaimed.pop(pid, None)
        if status is not None:
            self._claim(pid, status)

    def _advance(self) -> None:
        """Move processes whose output is drained (or overdue) to their end."""
        now = time.monotonic()
        for process in list(self._execs):
            if process.reaped_at and (
                not process.outputs_open or now > process.reaped_at + DRAIN_TIMEOUT
            ):
                self._finish_exec(process)
        init = self._init
        if init.reaped_at and not self._finalized_at and (
            not init.outputs_open or now > init.reaped_at + DRAIN_TIMEOUT
        ):
            self._finalize()
        for client in list(self._clients):
            if client.close_when_flushed and not client.out:
                self._drop(client)

    # ---- process output and input -------------------------------------------------------------

    def _watch(self, process: Process) -> None:
        for fd, stream in process.stdio.outputs.items():
            self._loop.on(fd, self._output_handler(process, fd, stream))
        if process.stdio.stdin is not None and process.stdio.pty is None:
            fd = process.stdio.stdin
            self._loop.on(fd, lambda _mask: self._write_stdin(process))

    def _output_handler(self, process: Process, fd: int, stream: str) -> Handler:
        def handle(mask: int) -> None:
            if mask & WRITE:
                self._write_stdin(process)
            if mask & READ:
                self._read_output(process, fd, stream)

        return handle

    def _destinations(self, process: Process) -> list[Client]:
        if process.is_init:
            return [c for c in self._clients if c.kind == "attach"]
        return [process.stream] if process.stream is not None else []

    def _read_output(self, process: Process, fd: int, stream: str) -> None:
        try:
            data = os.read(fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError as e:
            if e.errno != errno.EIO:  # EIO: the PTY's last slave fd was closed
                raise
            data = b""
        if not data:
            self._close_output(process, fd, stream)
            return
        frame_type = FRAME_STDERR if stream == "stderr" else FRAME_STDOUT
        if process.is_init:
            self._log.write(stream, data)
            frame = encode_frame(frame_type, data)
            for client in self._clients:
                if stream in client.streams:
                    client.out += frame
        elif process.stream is not None:
            process.stream.out += encode_frame(frame_type, data)

    def _close_output(self, process: Process, fd: int, stream: str) -> None:
        self._loop.forget(fd)
        del process.stdio.outputs[fd]
        if process.stdio.pty == fd:
            process.stdio.pty = None
            process.stdio.stdin = None
            process.stdin_buffer.clear()
        os.close(fd)
        if process.is_init:
            self._log.flush(stream)

    def _write_stdin(self, process: Process) -> None:
        fd = process.stdio.stdin
        if fd is None:
            process.stdin_buffer.clear()
            return
        try:
            written = os.write(fd, process.stdin_buffer)
            del process.stdin_buffer[:written]
        except BlockingIOError:
            return
        except OSError:  # EPIPE: the reader is gone
            process.stdin_buffer.clear()
            process.stdin_closing = True
        if not process.stdin_buffer and process.stdin_closing:
            self._close_stdin(process)

    def _close_stdin(self, process: Process) -> None:
        fd = process.stdio.stdin
        if fd is None or fd == process.stdio.pty:
            return  # a TTY keeps its one fd: its output still flows through it
        self._loop.forget(fd)
        os.close(fd)
        process.stdio.stdin = None

    def _end_input(self, client: Client) -> None:
        """The client half-closed (or left): its input to the process ends."""
        client.reading = False
        target, client.stdin_target = client.stdin_target, None
        if target is None or (target.is_init and not self._config.stdin_once):
            return
        target.stdin_closing = True
        if not target.stdin_buffer:
            self._close_stdin(target)

    # ---- clients ----------------------------------------------------------------------------

    def _on_accept(self, _mask: int) -> None:
        for _ in range(64):
            try:
                sock, _addr = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            sock.setblocking(False)
            client = Client(sock)
            self._clients.append(client)
            self._loop.on(client.fd, self._client_handler(client))

    def _client_handler(self, client: Client) -> Handler:
        def handle(mask: int) -> None:
            try:
                self._on_client(client, mask)
            except Exception as e:  # one bad client must not take the container's shim down
                sys.stderr.write(f"shim: dropping a client after {type(e).__name__}: {e}\n")
                if client in self._clients:
                    self._drop(client)

        return handle

    def _on_client(self, client: Client, mask: int) -> None:
        if mask & WRITE and not self._flush(client):
            return
        if mask & READ:
            try:
                data = client.sock.recv(READ_SIZE)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            self._on_client_data(client, data)

    def _flush(self, client: Client) -> bool:
        try:
            sent = client.sock.send(client.out)
        except BlockingIOError:
            return True
        except OSError:
            self._drop(client)
            return False
        del client.out[:sent]
        return True

    def _on_client_data(self, client: Client, data: bytes) -> None:
        if client.answered:
            if not data:
                self._end_input(client)
            elif client.stdin_target is not None and self._accepts_input(client.stdin_target):
                client.stdin_target.stdin_buffer += data  # (else the input has nowhere to go)
            return
        if not data:
            self._drop(client)
            return
        client.request += data
        line, newline, rest = client.request.partition(b"\n")
        if not newline:
            if len(client.request) > MAX_REQUEST:
                self._drop(client)
            return
        client.answered = True
        client.request = bytearray()
        self._dispatch(client, bytes(line))
        if rest:
            self._on_client_data(client, bytes(rest))

    def _accepts_input(self, process: Process) -> bool:
        """True while ``process`` has a stdin, or is the init not started yet: input that
        arrives on an attach made before ``start`` waits in its buffer for the process."""
        if process.stdio.stdin is not None:
            return True
        return process.is_init and self._status == "created" and not process.stdin_closing

    def _drop(self, client: Client) -> None:
        if client.stdin_target is not None:
            self._end_input(client)
        for process in self._execs:
            if process.stream is client:
                process.stream = None
        self._loop.forget(client.fd)
        if client in self._clients:
            self._clients.remove(client)
        client.sock.close()

    def _reply(self, client: Client, body: dict[str, Any], then_close: bool = True) -> None:
        client.out += json.dumps(body).encode() + b"\n"
        client.close_when_flushed = client.close_when_flushed or then_close

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

    # ---- the end ------------------------------------------------------------------------------

    def _finalize(self) -> None:
        for fd, stream in list(self._init.stdio.outputs.items()):
            self._close_output(self._init, fd, stream)
        if self._init.stdio.stdin is not None:
            self._loop.forget(self._init.stdio.stdin)
        self._init.stdio.close_all()
        if self._init.pid:
            self._oom = exits.oom_killed(self._bundle.cgroups_path)
            self._delete_container()
        self._status = "exited"
        exits.write_exit_record(self._dir, exits.ExitRecord(
            exit_code=self._exit_code if self._exit_code is not None else FAILED_START_CODE,
            finished_at=self._finished_at, oom_killed=self._oom,
            started_at=self._started_at, pid=self._init.pid,
        ))
        self._finalized_at = time.monotonic()
        exit_frame = self._exit_frame()
        for client in self._clients:
            if client.kind == "wait":
                self._reply(client, self._wait_answer())
            elif client.kind == "attach":
                client.out += exit_frame
                client.stdin_target = None
                client.close_when_flushed = True

    def _exit_frame(self) -> bytes:
        return encode_frame(FRAME_EXIT, json.dumps({"exit_code": self._exit_code}).encode())

    def _delete_container(self) -> None:
        try:
            self._runtime.delete(force=False)
        except RuntimeCallError:
            with contextlib.suppress(RuntimeCallError):
                self._runtime.delete(force=True)
