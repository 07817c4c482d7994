"""The daemon's private directories and its API's unix sockets, made safe from the start.

A unix socket takes its mode from the umask when it is bound; a ``chmod`` afterwards leaves a
window in which anyone may connect (and a connection made then stays open). So the umask is
set around ``bind`` instead. The umask is process-wide: :func:`bind_unix_socket` must run while
the daemon is still one thread: ``wharfd`` binds its sockets before the event loop starts, and
:func:`require_one_thread` checks it.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

__all__ = ["SOCKET_MODE", "bind_unix_socket", "private_directory", "require_one_thread"]

SOCKET_MODE = 0o660
PRIVATE_MODE = 0o700
LISTEN_BACKLOG = 128


def private_directory(path: Path) -> None:
    """``path`` exists, owned by us, mode 0700 (an existing one is tightened)."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_MODE)
    os.chmod(path, PRIVATE_MODE)


def require_one_thread() -> None:
    """The umask is process-wide: another thread creating a file meanwhile would get it."""
    if threading.active_count() != 1:
        raise RuntimeError("the API sockets must be bound before any thread starts (umask)")


def bind_unix_socket(path: Path, mode: int = SOCKET_MODE) -> socket.socket:
    """A unix stream socket bound at ``path`` with ``mode`` from its first instant (sets the
    process's umask for the ``bind``: see :func:`require_one_thread`), already listening: a
    client that connects while the daemon is still starting waits in the backlog until the API
    serves, instead of being refused."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous = os.umask(0o777 & ~mode)
    try:
        sock.bind(str(path))
    except BaseException:
        sock.close()
        raise
    finally:
        os.umask(previous)
    sock.listen(LISTEN_BACKLOG)
    return sock
