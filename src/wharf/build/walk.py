"""Walk a directory inside a root file system without following its symlinks, in Go's
``filepath.Walk`` order (lexical, a directory before its contents). No file descriptor is held
between steps: each user reopens what it needs with ``securepath`` (resolved inside the root)."""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from wharf.lib import securepath

__all__ = ["Node", "real_path", "walk_tree"]


@dataclass(frozen=True)
class Node:
    rel: str              # relative to the walk's top
    st: os.stat_result    # lstat: a symlink is a symlink


def real_path(root: Path, rel: str) -> str:
    """``rel`` with its symlinks expanded inside ``root``, relative to it ("" for the root)."""
    resolved = securepath.resolve_in_root(root, rel).relative_to(root).as_posix()
    return "" if resolved == "." else resolved


def walk_tree(root: Path, top: str, *, max_depth: int | None = None) -> Iterator[Node]:
    """Every entry under ``top`` (a real directory path inside ``root``, "" for the root),
    ``top`` excluded; directories are entered only ``max_depth`` levels deep when given."""
    pending: list[Node] = list(reversed(_children(root, top, "")))
    while pending:
        node = pending.pop()
        yield node
        depth = node.rel.count("/") + 1
        if stat.S_ISDIR(node.st.st_mode) and (max_depth is None or depth < max_depth):
            pending.extend(reversed(_children(root, top, node.rel)))


def _children(root: Path, top: str, rel: str) -> list[Node]:
    where = posixpath.join(top, rel) if rel else top
    try:
        fd = securepath.open_in_root(root, where, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except (FileNotFoundError, NotADirectoryError):
        return []  # replaced meanwhile: nothing to walk
    try:
        names = sorted(os.listdir(fd))
        out = []
        for name in names:
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                continue
            out.append(Node(posixpath.join(rel, name) if rel else name, st))
        return out
    finally:
        os.close(fd)
