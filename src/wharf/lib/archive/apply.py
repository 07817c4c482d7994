"""Apply an OCI layer tar to a directory, never writing outside it.

Python's ``tarfile`` only parses headers here; every filesystem change is made by this module
relative to a directory fd that was resolved inside the root with ``securepath`` (openat2
``RESOLVE_IN_ROOT``), and the final component is never followed (``O_NOFOLLOW``, ``*at`` calls
with ``dir_fd``). A symlink in the layer therefore redirects later entries only to somewhere else
inside the root, ``..`` and absolute names are clamped at the root, and hard links must point
inside it.

Whiteouts (OCI image-spec "Representing Changes"):
- ``.wh.<name>`` deletes ``<name>`` from the layers below;
- ``.wh..wh..opq`` hides every child of its directory from the layers below.
With ``overlay_whiteouts=True`` (unpacking a layer that will be an overlayfs lowerdir) they become
overlayfs whiteouts instead: a 0/0 character device, and ``trusted.overlay.opaque=y``.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import stat
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from wharf.core.errors import InvalidParameter
from wharf.lib import securepath
from wharf.lib.archive.compression import decompressed

__all__ = [
    "OPAQUE_WHITEOUT",
    "OVERLAY_OPAQUE_XATTR",
    "WHITEOUT_PREFIX",
    "apply_layer",
    "xattr_allowed",
]

WHITEOUT_PREFIX = ".wh."
OPAQUE_WHITEOUT = ".wh..wh..opq"
OVERLAY_OPAQUE_XATTR = "trusted.overlay.opaque"
XATTR_PAX_PREFIX = "SCHILY.xattr."
_ALLOWED_XATTR_PREFIXES = ("user.", "security.capability", "system.posix_acl_")
_CHUNK = 1 << 20


def xattr_allowed(name: str) -> bool:
    """Only xattrs an image may legitimately carry (never trusted.* or security labels)."""
    return name.startswith(_ALLOWED_XATTR_PREFIXES)


@dataclass
class _State:
    root: Path
    overlay: bool
    size: int = 0
    unpacked: set[str] = field(default_factory=set)
    dir_times: dict[str, tuple[float, float]] = field(default_factory=dict)


def apply_layer(stream: BinaryIO, root: Path, *, overlay_whiteouts: bool = False) -> int:
    """Apply the (possibly compressed) layer ``stream`` onto ``root``; returns the unpacked size
    (Docker's: the sizes of the regular files and symlinks the layer adds, each hard-linked
    file once, directories and whiteouts nothing).

    Raises InvalidParameter for a malformed tar or an entry that cannot be placed inside the root
    (a hard link out of it, an invalid whiteout name).
    """
    state = _State(root, overlay_whiteouts)
    plain = decompressed(stream)
    try:
        with tarfile.open(fileobj=plain, mode="r|", errorlevel=2, bufsize=_CHUNK) as tar:
            for member in tar:
                _apply_member(state, tar, member)
        while plain.read(_CHUNK):  # read to the end (the padding after the end-of-archive
            pass  # blocks), so a caller hashing the stream sees every byte, as moby does
    except tarfile.TarError as exc:
        raise InvalidParameter(f"invalid layer tar: {exc}") from exc
    for rel, times in sorted(state.dir_times.items(), reverse=True):
        _set_times(root, rel, times)
    return state.size


def _apply_member(state: _State, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
    rel = securepath.clean_path(member.name)
    if not rel:
        return  # the root itself: its owner and mode belong to the snapshot, not the layer
    parent, base = posixpath.split(rel)
    if base.startswith(WHITEOUT_PREFIX):
        _apply_whiteout(state, parent, base)
        return
    parent_fd = _open_parent(state.root, parent)
    try:
        _replace_existing(parent_fd, base, member)
        _create(state, tar, member, parent_fd, base)
        if not member.islnk():
            _set_metadata(state, member, parent_fd, base, rel)
    finally:
        os.close(parent_fd)
    while rel and rel not in state.unpacked:  # parents made implicitly count as this layer's
        state.unpacked.add(rel)
        rel = posixpath.dirname(rel)


def _open_parent(root: Path, parent: str) -> int:
    try:
        return securepath.open_in_root(root, parent, os.O_PATH | os.O_DIRECTORY)
    except FileNotFoundError:
        return securepath.makedirs_in_root(root, parent)
    except NotADirectoryError as exc:
        raise InvalidParameter(f"layer entry under a non-directory: {parent}") from exc


def _replace_existing(parent_fd: int, base: str, member: tarfile.TarInfo) -> None:
    try:
        st = os.stat(base, dir_fd=parent_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode) and member.isdir():
        return  # merge into the existing directory
    _remove_entry(parent_fd, base, st)


def _remove_entry(parent_fd: int, base: str, st: os.stat_result) -> None:
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(base, dir_fd=parent_fd)
        return
    # shutil.rmtree with dir_fd never follows symlinks (it uses the fd-based walk on Linux).
    shutil.rmtree(base, dir_fd=parent_fd)


def _create(
    state: _State, tar: tarfile.TarFile, member: tarfile.TarInfo, parent_fd: int, base: str
) -> None:
    if member.isdir():
        with contextlib.suppress(FileExistsError):
            os.mkdir(base, 0o700, dir_fd=parent_fd)
    elif member.isreg():
        _write_file(state, tar, member, parent_fd, base)
    elif member.issym():
        os.symlink(member.linkname, base, dir_fd=parent_fd)
        state.size += len(os.fsencode(member.linkname))  # its lstat size, as Docker counts
    elif member.islnk():
        _link(state.root, member.linkname, parent_fd, base)
    elif member.ischr() or member.isblk():
        kind = stat.S_IFCHR if member.ischr() else stat.S_IFBLK
        dev = os.makedev(member.devmajor, member.devminor)
        os.mknod(base, kind | 0o600, dev, dir_fd=parent_fd)
    elif member.isfifo():
        os.mkfifo(base, 0o600, dir_fd=parent_fd)
    else:
        raise InvalidParameter(f"unsupported tar entry type {member.type!r}: {member.name}")


def _write_file(
    state: _State, tar: tarfile.TarFile, member: tarfile.TarInfo, parent_fd: int, base: str
) -> None:
    source = tar.extractfile(member)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(base, flags, 0o600, dir_fd=parent_fd)
    try:
        remaining = member.size
        while remaining > 0 and source is not None:
            chunk = source.read(min(_CHUNK, remaining))
            if not chunk:
                raise InvalidParameter(f"truncated layer tar at {member.name}")
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
            remaining -= len(chunk)
    finally:
        os.close(fd)
    state.size += member.size


def _link(root: Path, linkname: str, parent_fd: int, base: str) -> None:
    target = securepath.clean_path(linkname)
    if not target:
        raise InvalidParameter(f"invalid hard link target: {linkname}")
    target_parent, target_base = posixpath.split(target)
    try:
        src_fd = securepath.open_in_root(root, target_parent, os.O_PATH | os.O_DIRECTORY)
    except OSError as exc:
        raise InvalidParameter(f"hard link target not in layer: {linkname}") from exc
    try:
        os.link(target_base, base, src_dir_fd=src_fd, dst_dir_fd=parent_fd, follow_symlinks=False)
    except FileNotFoundError as exc:
        raise InvalidParameter(f"hard link target not in layer: {linkname}") from exc
    finally:
        os.close(src_fd)


def _set_metadata(
    state: _State, member: tarfile.TarInfo, parent_fd: int, base: str, rel: str
) -> None:
    os.chown(base, member.uid, member.gid, dir_fd=parent_fd, follow_symlinks=False)
    if not member.issym():
        fd = os.open(base, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent_fd)
        try:
            proc = f"/proc/self/fd/{fd}"
            os.chmod(proc, member.mode & 0o7777)
            if member.isreg() or member.isdir():
                for name, value in _xattrs(member):
                    os.setxattr(proc, name, value)
        finally:
            os.close(fd)
    times = (member.mtime, member.mtime)
    if member.isdir():
        state.dir_times[rel] = times
    else:
        os.utime(base, times, dir_fd=parent_fd, follow_symlinks=False)


def _xattrs(member: tarfile.TarInfo) -> list[tuple[str, bytes]]:
    out = []
    for key, value in member.pax_headers.items():
        if key.startswith(XATTR_PAX_PREFIX):
            name = key[len(XATTR_PAX_PREFIX) :]
            if xattr_allowed(name):
                out.append((name, value.encode("utf-8", "surrogateescape")))
    return out


def _set_times(root: Path, rel: str, times: tuple[float, float]) -> None:
    try:
        fd = securepath.open_in_root(root, rel, os.O_PATH | os.O_NOFOLLOW)
    except OSError:
        return  # removed by a later entry
    try:
        os.utime(f"/proc/self/fd/{fd}", times)
    finally:
        os.close(fd)


def _apply_whiteout(state: _State, parent: str, base: str) -> None:
    if base == OPAQUE_WHITEOUT:
        _apply_opaque(state, parent)
        return
    if base.startswith(WHITEOUT_PREFIX + WHITEOUT_PREFIX):
        return  # other AUFS metadata (.wh..wh.plnk, .wh..wh.aufs): nothing to apply
    name = base[len(WHITEOUT_PREFIX) :]
    if name in ("", ".", ".."):
        raise InvalidParameter(f"invalid whiteout: {posixpath.join(parent, base)}")
    parent_fd = _open_parent(state.root, parent)
    try:
        with contextlib.suppress(FileNotFoundError):
            _remove_entry(parent_fd, name, os.stat(name, dir_fd=parent_fd, follow_symlinks=False))
        if state.overlay:
            os.mknod(name, stat.S_IFCHR | 0o600, os.makedev(0, 0), dir_fd=parent_fd)
    finally:
        os.close(parent_fd)


def _apply_opaque(state: _State, parent: str) -> None:
    parent_fd = _open_parent(state.root, parent)
    try:
        fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=parent_fd)
        try:
            if state.overlay:
                os.setxattr(fd, OVERLAY_OPAQUE_XATTR, b"y")
                return
            names = os.listdir(fd)
        finally:
            os.close(fd)
        for name in names:
            if posixpath.join(parent, name) in state.unpacked:
                continue  # added by this very layer
            with contextlib.suppress(FileNotFoundError):
                st = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
                _remove_entry(parent_fd, name, st)
    finally:
        os.close(parent_fd)
