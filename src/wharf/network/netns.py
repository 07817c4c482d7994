"""Network namespaces as bind-mounted files (``<netns_dir>/<container id>``), made and entered
only from short-lived threads.

A thread that ``unshare(CLONE_NEWNET)``s or ``setns()``es never returns to the host namespace:
it runs its one job and ends, so no pooled thread (asyncio's executor, the daemon's loop) ever
finds itself in a container's namespace. Python 3.11 has neither ``os.unshare`` nor
``os.setns``: libc is called through ctypes. docs/contracts.md, "Networking".
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["create", "list_files", "remove", "run_in_netns", "run_in_thread"]

CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
MNT_DETACH = 0x2
EINVAL, ENOENT = 22, 2

_libc = ctypes.CDLL(None, use_errno=True)
T = TypeVar("T")
H = TypeVar("H")


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def unshare_net() -> None:
    _check(_libc.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")


def setns_net(fd: int) -> None:
    _check(_libc.setns(fd, CLONE_NEWNET), "setns")


def _bind_mount(source: str, target: str) -> None:
    _check(_libc.mount(source.encode(), target.encode(), None, MS_BIND, None),
           f"mount --bind {source} {target}")


def _umount_detach(target: str) -> None:
    _check(_libc.umount2(target.encode(), MNT_DETACH), f"umount {target}")


def run_in_thread(job: Callable[[], T]) -> T:
    """Runs ``job`` in a new thread that ends with it; its result or exception comes back."""
    outcome: dict[str, Any] = {}

    def body() -> None:
        try:
            outcome["value"] = job()
        except BaseException as exc:  # handed to the caller, re-raised there
            outcome["error"] = exc

    thread = threading.Thread(target=body, name="wharf-netns", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def create(path: Path, host_side: Callable[[], AbstractContextManager[H]],
           setup: Callable[[H, int], T]) -> T:
    """Makes a namespace at ``path`` and runs ``setup(host, netns_fd)`` inside it, in one thread.

    ``host_side()`` is entered in that thread before the unshare, so what it opens (a netlink
    socket) stays in the host's namespace; the file is removed again if anything fails."""

    def job() -> T:
        with host_side() as host:
            path.touch(mode=0o444, exist_ok=False)
            try:
                unshare_net()
                _bind_mount(f"/proc/self/task/{threading.get_native_id()}/ns/net", str(path))
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                try:
                    return setup(host, fd)
                finally:
                    os.close(fd)
            except BaseException:
                remove(path)
                raise

    return run_in_thread(job)


def remove(path: Path) -> None:
    """Unmounts and unlinks a namespace file; an absent or unmounted one is fine. The kernel
    frees the namespace (and its veths) when its last user goes."""
    if not os.path.lexists(path):
        return
    try:
        _umount_detach(str(path))
    except OSError as exc:
        if exc.errno not in (EINVAL, ENOENT):
            raise
    path.unlink(missing_ok=True)


def run_in_netns(path: Path | str, job: Callable[[], T]) -> T:
    """``job()`` inside the namespace at ``path``, in a fresh thread that then ends."""

    def entered() -> T:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            setns_net(fd)
        finally:
            os.close(fd)
        return job()

    return run_in_thread(entered)


def list_files(netns_dir: Path) -> list[str]:
    """The container ids with a namespace file in ``netns_dir``."""
    try:
        return sorted(entry.name for entry in netns_dir.iterdir() if entry.is_file())
    except FileNotFoundError:
        return []
