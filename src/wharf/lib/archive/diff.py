"""Produce layer tars and change lists from directories.

- :func:`tar_tree` — every entry of a tree (``docker export``), hard links kept.
- :func:`diff_overlay_upper` — an OCI layer from an overlayfs upper dir: a 0/0 character device
  becomes ``.wh.<name>``, an opaque directory gets ``.wh..wh..opq``.
- :func:`changes_overlay_upper` — Docker's ``diff`` list from an upper dir and its lowers.
- :func:`changes_between` / :func:`diff_trees` — the same for two full trees (``native`` driver).

Entries are emitted in sorted order (parents first) as PAX tars with xattrs in
``SCHILY.xattr.*`` records, numeric owners only, mtimes kept.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import os
import stat
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from wharf.lib import securepath
from wharf.lib.archive.apply import (
    OPAQUE_WHITEOUT,
    OVERLAY_OPAQUE_XATTR,
    WHITEOUT_PREFIX,
    XATTR_PAX_PREFIX,
    xattr_allowed,
)

__all__ = [
    "ChangeKind",
    "changes_between",
    "changes_overlay_upper",
    "diff_overlay_upper",
    "diff_trees",
    "tar_subtree",
    "tar_tree",
]


class ChangeKind(enum.IntEnum):
    """Docker's ``ContainerChangeResponseItem.Kind``."""

    MODIFIED = 0
    ADDED = 1
    DELETED = 2


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


def walk_tree(root: Path, start: str = "",
              prune: frozenset[str] = frozenset()) -> Iterator[tuple[str, os.stat_result]]:
    """(relative path, lstat) of every entry under ``root`` (or its directory ``start``),
    sorted, parents first, no follow; the directories named in ``prune`` are listed but not
    entered (a running container's ``proc`` and ``sys``).

    Each directory is opened inside ``root`` (``securepath``), so a directory swapped for a
    symlink while the walk runs (a container still running) is skipped, never followed out.
    Entries that vanish meanwhile are skipped too.
    """
    stack = [start]
    while stack:
        rel = stack.pop()
        try:
            fd = securepath.open_in_root(root, rel, _DIR_FLAGS)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                continue  # became a symlink
            raise
        entries = []
        try:
            for name in sorted(os.listdir(fd)):
                with contextlib.suppress(FileNotFoundError):
                    st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                    entries.append((f"{rel}/{name}" if rel else name, st))
        finally:
            os.close(fd)
        yield from entries
        stack.extend(reversed([path for path, st in entries
                               if stat.S_ISDIR(st.st_mode) and path not in prune]))


class _TarWriter:
    """Writes filesystem entries as tar members, turning repeated inodes into hard links.

    Every entry is opened inside the root with ``O_NOFOLLOW`` and described from that fd, so
    what is archived is always what was opened, and always inside the root.
    """

    def __init__(self, out: BinaryIO) -> None:
        self._tar = tarfile.open(  # noqa: SIM115 - closed by close()
            fileobj=out, mode="w|", format=tarfile.PAX_FORMAT
        )
        self._inodes: dict[tuple[int, int], str] = {}

    def add(self, root: Path, rel: str, name: str | None = None) -> bool:
        """Archive ``rel`` (as ``name``, default ``rel``); skipped when it vanished (False) or
        is a socket."""
        try:
            fd = securepath.open_in_root(root, rel, os.O_PATH | os.O_NOFOLLOW)
        except (FileNotFoundError, NotADirectoryError):
            return False
        try:
            self._add_fd(fd, rel if name is None else name, os.fstat(fd))
        finally:
            os.close(fd)
        return True

    def _add_fd(self, fd: int, rel: str, st: os.stat_result) -> None:
        if stat.S_ISSOCK(st.st_mode):
            return
        info = tarfile.TarInfo(rel + "/" if stat.S_ISDIR(st.st_mode) else rel)
        info.mode = stat.S_IMODE(st.st_mode)
        info.uid, info.gid = st.st_uid, st.st_gid
        info.uname = info.gname = ""
        info.mtime = int(st.st_mtime)
        key = (st.st_dev, st.st_ino)
        if stat.S_ISREG(st.st_mode) and st.st_nlink > 1 and key in self._inodes:
            info.type, info.linkname = tarfile.LNKTYPE, self._inodes[key]
            self._tar.addfile(info)
            return
        proc = f"/proc/self/fd/{fd}"
        info.pax_headers = _xattr_headers(proc, st)
        if stat.S_ISREG(st.st_mode):
            self._inodes.setdefault(key, rel)
            info.size = st.st_size
            with open(proc, "rb") as f:  # reopens the very inode behind the O_PATH fd
                self._tar.addfile(info, _Exactly(f, st.st_size))
            return
        if stat.S_ISDIR(st.st_mode):
            info.type = tarfile.DIRTYPE
        elif stat.S_ISLNK(st.st_mode):
            info.type, info.linkname = tarfile.SYMTYPE, os.readlink("", dir_fd=fd)
        elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            info.type = tarfile.CHRTYPE if stat.S_ISCHR(st.st_mode) else tarfile.BLKTYPE
            info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
        elif stat.S_ISFIFO(st.st_mode):
            info.type = tarfile.FIFOTYPE
        self._tar.addfile(info)

    def add_whiteout(self, rel: str, mtime: float = 0) -> None:
        info = tarfile.TarInfo(rel)
        info.mode, info.mtime = 0o600, int(mtime)
        info.uname = info.gname = ""
        self._tar.addfile(info)

    def close(self) -> None:
        self._tar.close()


class _Exactly:
    """Read exactly ``size`` bytes of a file that may change underneath (pad or truncate)."""

    def __init__(self, f: BinaryIO, size: int) -> None:
        self._f, self._left = f, size

    def read(self, n: int = -1) -> bytes:
        n = self._left if n < 0 else min(n, self._left)
        data = self._f.read(n)
        if len(data) < n:
            data += b"\0" * (n - len(data))
        self._left -= len(data)
        return data


def _xattr_headers(proc_path: str, st: os.stat_result) -> dict[str, str]:
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        return {}
    out = {}
    try:
        names = os.listxattr(proc_path)
    except OSError:
        return {}
    for name in sorted(names):
        if xattr_allowed(name):
            with contextlib.suppress(OSError):
                value = os.getxattr(proc_path, name)
                out[XATTR_PAX_PREFIX + name] = value.decode("utf-8", "surrogateescape")
    return out


def _is_overlay_whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def _is_opaque(path: Path) -> bool:
    try:
        return os.getxattr(path, OVERLAY_OPAQUE_XATTR, follow_symlinks=False) == b"y"
    except OSError:
        return False


def _whiteout_name(rel: str) -> str:
    parent, _, base = rel.rpartition("/")
    return f"{parent}/{WHITEOUT_PREFIX}{base}" if parent else WHITEOUT_PREFIX + base


def tar_tree(root: Path, out: BinaryIO) -> None:
    """Write every entry under ``root`` to ``out`` as an uncompressed tar."""
    writer = _TarWriter(out)
    for rel, _ in walk_tree(root):
        writer.add(root, rel)
    writer.close()


def tar_subtree(root: Path, rel: str, name: str, out: BinaryIO,
                prune: frozenset[str] = frozenset()) -> bool:
    """``rel`` inside ``root`` (and all under it, when a directory) as an uncompressed tar
    whose entries are named from ``name`` (``docker cp``'s rebased names); ``name`` "/"
    names the entries under it absolutely, as dockerd archives a container's root. False
    when ``rel`` was gone (the tar is then empty)."""
    writer = _TarWriter(out)
    absolute = name == "/"
    if not writer.add(root, rel, "" if absolute else name):  # the root itself: "/"
        writer.close()
        return False
    prefix = "/" if absolute else name + "/"
    skip = len(rel) + 1 if rel else 0
    for path, _ in walk_tree(root, rel, prune):
        writer.add(root, path, prefix + path[skip:])
    writer.close()
    return True


def diff_overlay_upper(upper: Path, out: BinaryIO) -> None:
    """Write the OCI layer tar that an overlayfs upper dir represents."""
    writer = _TarWriter(out)
    skip: tuple[str, ...] = ()
    for rel, st in walk_tree(upper):
        if skip and rel.startswith(skip):
            continue
        if _is_overlay_whiteout(st):
            writer.add_whiteout(_whiteout_name(rel), st.st_mtime)
            continue
        writer.add(upper, rel)
        if stat.S_ISDIR(st.st_mode) and _is_opaque(upper / rel):
            writer.add_whiteout(f"{rel}/{OPAQUE_WHITEOUT}", st.st_mtime)
    writer.close()


def _exists_in(lowers: list[Path], rel: str) -> bool:
    """Whether ``rel`` is visible in the stack of lowers (top first; whiteouts hide it)."""
    for lower in lowers:
        try:
            st = os.lstat(lower / rel)
        except (FileNotFoundError, NotADirectoryError):
            continue
        return not _is_overlay_whiteout(st)
    return False


def changes_overlay_upper(upper: Path, lowers: list[Path]) -> list[tuple[str, ChangeKind]]:
    """Docker's change list (``/path``, kind) from an upper dir and its lowers (top first)."""
    changes: dict[str, ChangeKind] = {}
    for rel, st in walk_tree(upper):
        if _is_overlay_whiteout(st):
            changes["/" + rel] = ChangeKind.DELETED
            continue
        existed = _exists_in(lowers, rel)
        changes["/" + rel] = ChangeKind.MODIFIED if existed else ChangeKind.ADDED
        if existed and stat.S_ISDIR(st.st_mode) and _is_opaque(upper / rel):
            for hidden in _lower_children(lowers, rel):
                changes.setdefault(f"/{rel}/{hidden}", ChangeKind.DELETED)
    return sorted(changes.items())


def _lower_children(lowers: list[Path], rel: str) -> set[str]:
    names: set[str] = set()
    for lower in lowers:
        path = lower / rel
        if path.is_dir() and not path.is_symlink():
            names.update(os.listdir(path))
    return names


@dataclass(frozen=True)
class _Meta:
    kind: int
    mode: int
    uid: int
    gid: int
    size: int
    mtime_ns: int
    rdev: int
    link: str


def _meta(root: Path, rel: str, st: os.stat_result) -> _Meta:
    link = os.readlink(root / rel) if stat.S_ISLNK(st.st_mode) else ""
    dir_ = stat.S_ISDIR(st.st_mode)
    return _Meta(
        stat.S_IFMT(st.st_mode),
        stat.S_IMODE(st.st_mode),
        st.st_uid,
        st.st_gid,
        0 if dir_ else st.st_size,
        0 if dir_ else st.st_mtime_ns,
        st.st_rdev,
        link,
    )


def changes_between(
    base: Path, new: Path, ignore: frozenset[str] = frozenset()
) -> list[tuple[str, ChangeKind]]:
    """Docker's change list between two full trees (``base`` = image, ``new`` = container).

    A file counts as modified when its type, mode, owner, size, mtime, device or link target
    differ; a directory when its type, mode or owner differ or something changed inside it.
    Paths in ``ignore`` (``/etc/hosts`` style) are never reported themselves.
    """
    before = {rel: _meta(base, rel, st) for rel, st in walk_tree(base)}
    changes: dict[str, ChangeKind] = {}
    seen: set[str] = set(p[1:] for p in ignore)
    for rel, st in walk_tree(new):
        if "/" + rel in ignore:
            continue
        seen.add(rel)
        old = before.get(rel)
        if old is None:
            changes["/" + rel] = ChangeKind.ADDED
        elif old != _meta(new, rel, st):
            changes["/" + rel] = ChangeKind.MODIFIED
    deleted = set(before) - seen
    for rel in deleted:
        if not any(parent in deleted for parent in _ancestors(rel)):
            changes["/" + rel] = ChangeKind.DELETED  # only the top of a deleted subtree
    for path in list(changes):
        _mark_parents_modified(changes, path, before)
    return sorted(changes.items())


def _ancestors(rel: str) -> Iterator[str]:
    parent = rel.rpartition("/")[0]
    while parent:
        yield parent
        parent = parent.rpartition("/")[0]


def _mark_parents_modified(
    changes: dict[str, ChangeKind], path: str, before: dict[str, _Meta]
) -> None:
    parent = path.rpartition("/")[0]
    while parent and parent[1:] in before and parent not in changes:
        changes[parent] = ChangeKind.MODIFIED
        parent = parent.rpartition("/")[0]


def diff_trees(base: Path, new: Path, out: BinaryIO, ignore: frozenset[str] = frozenset()) -> None:
    """Write the OCI layer tar that turns ``base`` into ``new`` (whiteouts for deletions)."""
    changes = dict(changes_between(base, new, ignore))
    writer = _TarWriter(out)
    for path, kind in sorted(changes.items()):
        rel = path[1:]
        if kind is ChangeKind.DELETED:
            writer.add_whiteout(_whiteout_name(rel))
        else:
            writer.add(new, rel)
    writer.close()
