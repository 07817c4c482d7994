"""The stdio of a container process as the shim holds it: pipes, or a PTY master.

``open_pipes`` makes the pipes before the runtime runs the process (the process gets the child
ends, the shim keeps the others, non-blocking). With a TTY, the runtime sends the PTY master over
a console socket (``ConsoleSocket``) and that one fd carries output and input.
"""

from __future__ import annotations

import array
import contextlib
import fcntl
import os
import socket
import struct
import termios
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from wharf.runtime.shim.runtimes import RuntimeCallError

__all__ = ["ConsoleSocket", "ProcessStdio", "open_pipes", "set_window_size", "spawn_with_stdio"]

Stdio = tuple[int, int, int]


@dataclass
class ProcessStdio:
    """The shim's ends: ``outputs`` maps fd → stream name; ``stdin`` is written to (or None)."""

    outputs: dict[int, str] = field(default_factory=dict)
    stdin: int | None = None
    pty: int | None = None  # when set, it is both the only output and the stdin
    child: Stdio | None = None  # the process's ends, closed once it runs

    def close_child_ends(self) -> None:
        if self.child is not None:
            for fd in set(self.child):
                os.close(fd)
            self.child = None

    def close_all(self) -> None:
        self.close_child_ends()
        for fd in {*self.outputs, *([self.stdin] if self.stdin is not None else [])}:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.outputs.clear()
        self.stdin = None
        self.pty = None


def open_pipes(with_stdin: bool) -> ProcessStdio:
    """Pipes for stdout and stderr, and for stdin when ``with_stdin`` (else /dev/null)."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    if with_stdin:
        in_r, in_w = os.pipe()
        os.set_blocking(in_w, False)
    else:
        in_r, in_w = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC), -1
    for fd in (out_r, err_r):
        os.set_blocking(fd, False)
    return ProcessStdio(
        outputs={out_r: "stdout", err_r: "stderr"},
        stdin=in_w if in_w >= 0 else None,
        child=(in_r, out_w, err_w),
    )


def null_stdio() -> Stdio:
    null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
    return (null, null, null)


class ConsoleSocket:
    """A listening unix socket the runtime connects to, to hand over a PTY master."""

    def __init__(self, directory: Path, name: str) -> None:
        path = directory / name
        if len(str(path)) > 100:  # sun_path is 108 bytes: fall back to a short private dir
            import tempfile

            self._tmpdir: str | None = tempfile.mkdtemp(prefix="wharf-console-")
            path = Path(self._tmpdir) / "c.sock"
        else:
            self._tmpdir = None
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self.path = path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(str(path))
        os.chmod(path, 0o600)
        self._sock.listen(1)

    def receive_master(self, timeout: float = 5.0) -> int:
        """The PTY master fd the runtime sent (it has connected and sent already)."""
        self._sock.settimeout(timeout)
        conn, _ = self._sock.accept()
        with conn:
            conn.settimeout(timeout)
            fds = array.array("i")
            _, ancillary, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
            for level, kind, data in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
        if not fds:
            raise OSError("console socket: no file descriptor received")
        master = fds[0]
        for extra in fds[1:]:
            os.close(extra)
        os.set_inheritable(master, False)
        os.set_blocking(master, False)
        return master

    def close(self) -> None:
        self._sock.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        if self._tmpdir is not None:
            with contextlib.suppress(OSError):
                os.rmdir(self._tmpdir)


def pty_stdio(master: int) -> ProcessStdio:
    return ProcessStdio(outputs={master: "stdout"}, stdin=master, pty=master)


def set_window_size(fd: int, height: int, width: int) -> None:
    """TIOCSWINSZ on a PTY master (the kernel sends SIGWINCH to the foreground group)."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


def spawn_with_stdio(
    bundle: Path, tty: bool, with_stdin: bool, run: Callable[[Stdio, str | None], int]
) -> tuple[int, ProcessStdio]:
    """Run a process through ``run(child_stdio, console_socket)`` with fresh stdio.

    Returns its pid and the shim's ends: pipes, or the PTY master the runtime sent over a
    console socket in ``bundle``. Nothing is left open when ``run`` fails.
    """
    console = ConsoleSocket(bundle, "console.sock") if tty else None
    pipes = ProcessStdio(child=null_stdio()) if tty else open_pipes(with_stdin)
    try:
        assert pipes.child is not None
        pid = run(pipes.child, str(console.path) if console else None)
        if console is None:
            return pid, pipes
        try:
            return pid, pty_stdio(console.receive_master())
        except OSError as e:
            raise RuntimeCallError(f"receiving the console: {e}") from e
    except BaseException:
        pipes.close_all()
        raise
    finally:
        pipes.close_child_ends()
        if console is not None:
            console.close()
