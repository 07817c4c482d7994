"""Foreground ``run``/``exec`` with a terminal and no ``--console-socket``: the CLI receives
the PTY master itself and copies between it and its own stdio (as runc does)."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import tempfile
import termios
import threading
import tty
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from wharf.runtime.oci.console import receive_fd

ACCEPT_TIMEOUT = 30.0


@dataclass
class ConsoleReceiver:
    """A listening console socket in a private temp dir; ``master`` once the runtime sent it."""

    path: str
    _server: socket.socket
    _received: list[int] = field(default_factory=list)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        def accept() -> None:
            with contextlib.suppress(OSError):
                connection, _ = self._server.accept()
                with connection:
                    self._received.append(receive_fd(connection)[1])

        self._thread = threading.Thread(target=accept, daemon=True)
        self._thread.start()

    def master(self) -> int:
        if self._thread is not None:
            self._thread.join(ACCEPT_TIMEOUT)
        if not self._received:
            raise OSError("no terminal received from the container")
        return self._received[0]


@contextlib.contextmanager
def console_receiver() -> Iterator[ConsoleReceiver]:
    with tempfile.TemporaryDirectory(prefix="wharf-console-") as directory:
        path = str(Path(directory) / "console.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
            server.bind(path)
            server.listen(1)
            server.settimeout(ACCEPT_TIMEOUT)
            receiver = ConsoleReceiver(path, server)
            receiver.start()
            yield receiver


def copy_size(source: int, master: int) -> None:
    with contextlib.suppress(OSError):
        size = termios.tcgetwinsize(source)
        termios.tcsetwinsize(master, size)


@contextlib.contextmanager
def raw_stdin() -> Iterator[None]:
    if not os.isatty(0):
        yield
        return
    saved = termios.tcgetattr(0)
    tty.setraw(0)
    raw = termios.tcgetattr(0)  # as runc's console: raw input, output still post-processed
    raw[1] |= termios.OPOST  # (the container's pty has ONLCR off: this terminal maps "\n")
    termios.tcsetattr(0, termios.TCSANOW, raw)
    try:
        yield
    finally:
        termios.tcsetattr(0, termios.TCSADRAIN, saved)


def proxy(master: int, on_stdin_eof: Callable[[], None] | None = None) -> None:
    """Copy stdin → master and master → stdout until the container side closes."""
    if os.isatty(0):
        copy_size(0, master)
    inputs = [master, 0]
    with raw_stdin():
        while True:
            readable, _, _ = select.select(inputs, [], [])
            if master in readable:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: every slave fd is closed
                    return
                if not data:
                    return
                os.write(1, data)
            if 0 in readable:
                data = os.read(0, 65536)
                if not data:
                    inputs.remove(0)
                    if on_stdin_eof is not None:
                        on_stdin_eof()
                    continue
                os.write(master, data)
