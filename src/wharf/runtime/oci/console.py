"""A PTY made inside the container's /dev/pts, its master sent over the console socket
(runc's protocol: one message whose payload is a name and whose SCM_RIGHTS carry the fd)."""

from __future__ import annotations

import array
import fcntl
import os
import socket
import struct
import termios
from dataclasses import dataclass

TIOCSPTLCK = 0x40045431
TIOCGPTN = 0x80045430


@dataclass(frozen=True)
class Pty:
    master: int
    slave_path: str


def open_pty(ptmx: str = "/dev/pts/ptmx") -> Pty:
    """Open a new PTY pair from ``ptmx`` (the container's devpts instance) and unlock it."""
    master = os.open(ptmx, os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    fcntl.ioctl(master, TIOCSPTLCK, struct.pack("i", 0))
    number = struct.unpack("I", fcntl.ioctl(master, TIOCGPTN, struct.pack("I", 0)))[0]
    return Pty(master=master, slave_path=f"{os.path.dirname(ptmx)}/{number}")


def make_controlling_terminal(slave_path: str) -> None:
    """Start a new session with ``slave_path`` as controlling terminal and stdio."""
    slave = os.open(slave_path, os.O_RDWR | os.O_NOCTTY)
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for target in (0, 1, 2):
        os.dup2(slave, target)
    if slave > 2:
        os.close(slave)


def clear_onlcr(fd: int) -> None:
    """Turn off ONLCR ("\n" → "\r\n" on output) on the PTY of ``fd``, as runc does on the
    console it holds itself: the bytes copied to the caller's own terminal, which maps them
    again, keep their "\n"."""
    attributes = termios.tcgetattr(fd)
    attributes[1] &= ~termios.ONLCR  # oflag
    termios.tcsetattr(fd, termios.TCSANOW, attributes)


def send_fd(sock_fd: int, fd: int, name: str) -> None:
    """Send ``fd`` over the connected unix socket ``sock_fd`` with SCM_RIGHTS."""
    with socket.socket(fileno=os.dup(sock_fd)) as sock:
        sock.sendmsg([name.encode()], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                        array.array("i", [fd]))])


def receive_fd(sock: socket.socket) -> tuple[str, int]:
    """The receiving side (used by tests and by the CLI's foreground ``run``)."""
    fds = array.array("i")
    message, ancdata, _flags, _addr = sock.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    if not fds:
        raise OSError("no file descriptor received on the console socket")
    return message.decode(errors="replace"), fds[0]


def connect_console_socket(path: str) -> int:
    """Connect to ``--console-socket`` and return the (inheritable) fd."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        raise
    return sock.detach()
