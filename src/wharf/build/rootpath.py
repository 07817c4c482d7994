"""Small file operations inside a root directory, every path resolved in it (``securepath``):
the final component is never followed, so a symlink already in a root file system can only
send a write somewhere else inside that root."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from pathlib import Path

from wharf.core.errors import InvalidParameter
from wharf.lib import securepath

__all__ = ["clean_under", "clear_for", "lstat_at", "make_dirs", "open_dir", "remove_at",
           "set_metadata"]


def clean_under(base: str, name: str, *, clamp: bool = False) -> str | None:
    """``name`` joined to ``base`` and cleaned lexically, both relative to a root; None when
    its ``..`` climbs out of ``base`` (Go's Join then a prefix check, as Docker's untar), or,
    with ``clamp``, a ``..`` at ``base`` stays there."""
    parts = [p for p in base.split("/") if p not in ("", ".")]
    floor = len(parts)
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part != "..":
            parts.append(part)
        elif len(parts) > floor:
            parts.pop()
        elif not clamp:
            return None
    return "/".join(parts)


def open_dir(root: Path, rel: str) -> int:
    """An ``O_PATH`` fd of the directory ``rel`` inside ``root`` (symlinks followed in it)."""
    return securepath.open_in_root(root, rel, os.O_PATH | os.O_DIRECTORY)


def make_dirs(root: Path, rel: str, *, owner: tuple[int, int] | None = (0, 0),
              mode: int = 0o755) -> int:
    """``mkdir -p`` of ``rel`` inside ``root``; the directories it creates get ``mode`` and
    ``owner`` (None: leave them root's); returns an ``O_PATH`` fd of the last one. A component
    that exists and is not a directory raises InvalidParameter."""
    try:
        target = securepath.resolve_in_root(root, rel).relative_to(root).as_posix()
    except NotADirectoryError as exc:
        raise InvalidParameter(f"mkdir /{rel.strip('/')}: not a directory") from exc
    parts = [] if target == "." else target.split("/")
    fd = open_dir(root, "")
    try:
        for part in parts:
            fd = _step_into(fd, part, owner, mode, rel)
        return fd
    except BaseException:
        os.close(fd)
        raise


def _step_into(parent_fd: int, part: str, owner: tuple[int, int] | None, mode: int,
               rel: str) -> int:
    try:
        os.mkdir(part, mode, dir_fd=parent_fd)
    except FileExistsError:
        pass
    else:
        os.chmod(part, mode, dir_fd=parent_fd)  # not narrowed by the umask
        if owner is not None:
            os.chown(part, owner[0], owner[1], dir_fd=parent_fd, follow_symlinks=False)
    try:
        child = os.open(part, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                        dir_fd=parent_fd)
    except OSError as exc:
        raise InvalidParameter(f"mkdir /{rel.strip('/')}: not a directory") from exc
    finally:
        os.close(parent_fd)
    return child


def lstat_at(parent_fd: int, base: str) -> os.stat_result | None:
    try:
        return os.stat(base, dir_fd=parent_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def remove_at(parent_fd: int, base: str, st: os.stat_result) -> None:
    """Remove the entry ``base`` of the directory ``parent_fd`` (a directory with all it holds;
    shutil.rmtree with ``dir_fd`` never follows a symlink)."""
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(base, dir_fd=parent_fd)
    else:
        os.unlink(base, dir_fd=parent_fd)


def clear_for(parent_fd: int, base: str, *, is_dir: bool) -> bool:
    """Make room for a new entry: an existing one is removed unless both are directories
    (then they merge). Returns whether a directory is already there."""
    st = lstat_at(parent_fd, base)
    if st is None:
        return False
    if is_dir and stat.S_ISDIR(st.st_mode):
        return True
    remove_at(parent_fd, base, st)
    return False


def set_metadata(parent_fd: int, base: str, *, owner: tuple[int, int], mode: int | None,
                 mtime: float | None) -> None:
    """Owner, permission bits (not on a symlink) and mtime of ``base``, never following it."""
    os.chown(base, owner[0], owner[1], dir_fd=parent_fd, follow_symlinks=False)
    if mode is not None:
        fd = os.open(base, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent_fd)
        try:
            if not stat.S_ISLNK(os.fstat(fd).st_mode):
                os.chmod(f"/proc/self/fd/{fd}", mode & 0o7777)
        finally:
            os.close(fd)
    if mtime is not None:
        with contextlib.suppress(OSError):
            os.utime(base, (mtime, mtime), dir_fd=parent_fd, follow_symlinks=False)

