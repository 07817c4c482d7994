"""Mount points a RUN's mounts make in its root file system, found before the run and removed
after it, so an empty ``/run/secrets/token`` or cache directory never reaches the layer."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from wharf.lib.securepath import resolve_in_root

__all__ = ["missing_components", "remove_if_empty"]


def missing_components(rootfs: Path, target: str) -> list[str]:
    """The paths (relative to ``rootfs``) the runtime will create to mount on ``target``:
    from the first missing component of ``target`` resolved inside the root, down to it."""
    relative = resolve_in_root(rootfs, target).relative_to(rootfs).as_posix()
    parts = [] if relative == "." else relative.split("/")
    for depth in range(1, len(parts) + 1):
        try:
            os.lstat(rootfs.joinpath(*parts[:depth]))
        except FileNotFoundError:
            return ["/".join(parts[:end]) for end in range(depth, len(parts) + 1)]
        except NotADirectoryError:
            return []
    return []


def remove_if_empty(rootfs: Path, paths: Iterable[str]) -> None:
    """Delete each of ``paths`` that is still an empty directory or an empty regular file,
    deepest first. Parents are walked with ``O_NOFOLLOW``: a symlink the run put in the way
    stops the removal there (nothing outside the root, or elsewhere inside it, is touched)."""
    for path in sorted(set(paths), key=lambda p: p.count("/"), reverse=True):
        parent, _, name = path.rpartition("/")
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            fd = _open_parent(rootfs, parent)
            try:
                _remove_entry(fd, name)
            finally:
                os.close(fd)


def _open_parent(rootfs: Path, parent: str) -> int:
    fd = os.open(rootfs, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in [p for p in parent.split("/") if p]:
            next_fd = os.open(part, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                              dir_fd=fd)
            os.close(fd)
            fd = next_fd
    except OSError as err:
        os.close(fd)
        if err.errno in (errno.ELOOP, errno.ENOTDIR):
            raise NotADirectoryError(err.errno, err.strerror, parent) from err
        raise
    return fd


def _remove_entry(parent_fd: int, name: str) -> None:
    info = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
    if stat.S_ISDIR(info.st_mode):
        with contextlib.suppress(OSError):  # ENOTEMPTY: the run put something there: kept
            os.rmdir(name, dir_fd=parent_fd)
    elif stat.S_ISREG(info.st_mode) and info.st_size == 0:
        os.unlink(name, dir_fd=parent_fd)
