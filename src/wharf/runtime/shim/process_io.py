"""The processes' stdio in the shim: output to the json-file log and to the attached clients,
the clients' input to the process's stdin (buffered while the process does not read)."""

from __future__ import annotations

import errno
import os

from wharf.runtime.shim.eventloop import READ, WRITE, Handler
from wharf.runtime.shim.protocol import FRAME_STDERR, FRAME_STDOUT, encode_frame
from wharf.runtime.shim.records import Client, Process
from wharf.runtime.shim.state import ShimState

__all__ = ["READ_SIZE", "ProcessIO"]

READ_SIZE = 64 * 1024


class ProcessIO(ShimState):
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
