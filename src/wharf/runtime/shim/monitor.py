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
import json
import os
import socket
import time

from wharf.core.timefmt import rfc3339_nano
from wharf.runtime.shim import exits
from wharf.runtime.shim.connections import Connections
from wharf.runtime.shim.eventloop import READ, WRITE, reap_children
from wharf.runtime.shim.process_io import ProcessIO
from wharf.runtime.shim.protocol import (
    FRAME_EXIT,
    PID_FILE,
    SOCKET_FILE,
    encode_frame,
    replace_file,
)
from wharf.runtime.shim.records import Client, Process
from wharf.runtime.shim.requests import FAILED_START_CODE, Requests
from wharf.runtime.shim.runtimes import RuntimeCallError
from wharf.runtime.shim.state import HIGH_WATER

__all__ = ["Shim"]

DRAIN_TIMEOUT = 3.0  # output read after a process exits (its orphans may hold the pipe)
CLOSE_WAIT = 2.0  # how long a finished client may still send input before it is cut off
LINGER_TIMEOUT = 5.0  # for clients to take their last frames once the container is gone
MAX_UNCLAIMED = 1024


class Shim(Requests, Connections, ProcessIO):
    """Serves one container until it has exited and its clients have been told."""

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
        busy = any(c.out or c.closing_until for c in self._clients) or bool(self._execs)
        return not busy or time.monotonic() > self._finalized_at + LINGER_TIMEOUT

    def _timeout(self) -> float | None:
        if self._finalized_at or any(c.closing_until for c in self._clients):
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
                self._close_gracefully(client, now)

    def _close_gracefully(self, client: Client, now: float) -> None:
        """Half-close a finished client, then read (and drop) what it still sends until it
        closes too. Closing a socket with unread input resets the connection, and a reset
        makes the peer lose the frames it had not read yet (the exit frame among them): a
        client typing while its exec ends must still get its output and exit code."""
        if client.closing_until is None:
            with contextlib.suppress(OSError):
                client.sock.shutdown(socket.SHUT_WR)
            client.closing_until = now + CLOSE_WAIT
            client.stdin_target = None
            client.reading = True
        elif now > client.closing_until:
            self._drop(client)

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

