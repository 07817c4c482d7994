"""Bytes a directory tree holds, counted as Docker counts a container's writable layer
(``SizeRw``): the apparent size of every entry that is not a directory (regular files,
symlinks, whose size is their target's length), each hard-linked inode once; zero-sized
entries (overlay whiteouts) count nothing. Symlinks are never followed, mount points never
crossed."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

__all__ = ["files_size", "tree_size"]


def tree_size(root: Path) -> int:
    """The bytes under ``root`` (0 when it does not exist)."""
    try:
        device = os.lstat(root).st_dev
    except FileNotFoundError:
        return 0
    total = 0
    seen: set[int] = set()
    pending = [os.fspath(root)]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # removed while we walked
                continue
            if stat.S_ISDIR(info.st_mode):
                if info.st_dev == device:
                    pending.append(entry.path)
            elif info.st_size > 0 and info.st_ino not in seen:
                seen.add(info.st_ino)
                total += info.st_size
    return total


def files_size(root: Path, paths: Iterable[str]) -> int:
    """The bytes of the entries ``paths`` (absolute inside ``root``; missing ones and
    directories count nothing), each hard-linked inode once: the size of a change list."""
    total = 0
    seen: set[int] = set()
    for path in paths:
        try:
            info = os.lstat(root / path.lstrip("/"))
        except (FileNotFoundError, NotADirectoryError):
            continue
        if stat.S_ISDIR(info.st_mode) or info.st_ino in seen:
            continue
        if info.st_nlink > 1:
            seen.add(info.st_ino)
        total += info.st_size
    return total
