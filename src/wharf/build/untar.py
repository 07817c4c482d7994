"""Unpack a tar into a directory inside a root, by the rules of the caller: the build context
(no owners, no devices, no absolute names) or an ADD archive (``tar -x`` as root, but no link
may point out of the destination). Python's ``tarfile`` only parses headers; every write is
made here relative to a directory fd resolved inside the root (see ``rootpath``)."""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import stat
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from wharf.build import rootpath
from wharf.core.errors import InvalidParameter
from wharf.lib.archive.compression import decompressed

__all__ = ["UntarRules", "untar"]

# tarfile's stream buffer and the write size: a larger buffer costs a copy of it per read
# (an 8 MB context of 100 files unpacked in 48 ms with 1 MiB, 24 ms with 64 KiB)
_CHUNK = 1 << 16
_SPOOL_CHUNK = 1 << 20
_MAX_META_HEADER = 1 << 20  # a pax or GNU long-name header is read whole: keep it small
_META_TYPES = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE,
               tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)


@dataclass(frozen=True)
class UntarRules:
    label: str                  # names the archive in errors
    keep_owner: bool            # the headers' uid/gid (ADD) or root's (the context)
    allow_absolute: bool        # "/x" is "x" (ADD) or refused (the context)
    allow_special: bool         # devices and FIFOs (ADD) or refused (the context)
    confine_symlinks: bool      # a relative symlink may not point out of the directory (ADD)
    clamp_dotdot: bool          # a name's ".." stops at the directory (ADD, as docker 28) or
                                # is refused when it would climb out (the context)
    max_bytes: int              # decompressed bytes of the whole tar stream
    max_entries: int
    owner: tuple[int, int] | None = None  # every entry's owner, over keep_owner (docker cp -a)
    no_overwrite_dir_non_dir: bool = False  # a directory and a non-directory never replace
                                            # each other (the archive API's query flag)


class _BoundedTarInfo(tarfile.TarInfo):
    """Refuses a metadata header too large to read into memory before it is read."""

    def _proc_member(self, tar: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type in _META_TYPES and self.size > _MAX_META_HEADER:
            raise tarfile.HeaderError(f"extended header of {self.size} bytes")
        proc = getattr(super(), "_proc_member")  # noqa: B009 (private: not in typeshed)
        result: tarfile.TarInfo = proc(tar)
        return result


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """The tar's entries. A stream that ends right after an entry's data, without its padding
    and the end-of-archive blocks, ends there (Go's tar reader reads it so, and the docker CLI
    sends such a tar for ``-f`` outside the context); data cut short is still an error."""
    while True:
        try:
            member = tar.next()
        except tarfile.ReadError as exc:
            if str(exc) == "unexpected end of data":
                return
            raise
        if member is None:
            return
        yield member


def untar(stream: BinaryIO, root: Path, into: str, rules: UntarRules,
          spool_dir: Path | None = None) -> None:
    """Unpack ``stream`` (plain or compressed, sniffed) into the existing directory ``into``
    (relative to ``root``; writes resolve inside ``root``). Raises InvalidParameter for a
    malformed tar, an entry the rules refuse, or one past the bounds.

    With ``spool_dir`` the plain tar is first copied to an unlinked file there and unpacked
    from it, each file's bytes moved by the kernel (``copy_file_range``): for a stream that
    arrives fast (a build context) that is quicker than parsing it as it comes."""
    into = rootpath.clean_under("", into) or ""
    plain = decompressed(stream, limit=rules.max_bytes)
    dir_times: list[tuple[str, float]] = []
    try:
        with contextlib.ExitStack() as stack:
            tar = stack.enter_context(_open_tar(plain, spool_dir, stack))
            for count, member in enumerate(_members(tar), start=1):
                if count > rules.max_entries:
                    raise InvalidParameter(f"{rules.label}: more than {rules.max_entries} entries")
                _unpack(tar, member, root, into, rules, dir_times)
    except tarfile.TarError as exc:
        raise InvalidParameter(f"{rules.label}: invalid tar: {exc}") from exc
    except InvalidParameter as exc:
        if exc.message.startswith(rules.label):
            raise
        raise InvalidParameter(f"{rules.label}: {exc.message}") from exc
    for rel, mtime in reversed(dir_times):
        _set_dir_time(root, rel, mtime)


def _open_tar(plain: BinaryIO, spool_dir: Path | None,
              stack: contextlib.ExitStack) -> tarfile.TarFile:
    if spool_dir is None:
        return tarfile.open(fileobj=plain, mode="r|", errorlevel=2, bufsize=_CHUNK,
                            tarinfo=_BoundedTarInfo)
    spool = stack.enter_context(tempfile.TemporaryFile(dir=spool_dir))  # noqa: SIM115
    shutil.copyfileobj(plain, spool, _SPOOL_CHUNK)
    spool.seek(0)
    tar = _SpooledTar.open(fileobj=spool, mode="r:", errorlevel=2, tarinfo=_BoundedTarInfo)
    tar.spool_fd = spool.fileno()
    return tar


def _entry_path(member: tarfile.TarInfo, into: str, rules: UntarRules) -> str | None:
    name = member.name
    if name.startswith("/") and not rules.allow_absolute:
        raise InvalidParameter(f"invalid tar entry {name!r}: absolute name")
    rel = rootpath.clean_under(into, name.lstrip("/"), clamp=rules.clamp_dotdot)
    if rel is None:
        raise InvalidParameter(f'"{name}" is outside of "/{into}"')
    return None if rel == into.strip("/") else rel


def _unpack(tar: tarfile.TarFile, member: tarfile.TarInfo, root: Path, into: str,
            rules: UntarRules, dir_times: list[tuple[str, float]]) -> None:
    rel = _entry_path(member, into, rules)
    if rel is None:
        return  # the directory itself ("."): it keeps its own metadata
    _check_kind(member, into, rel, rules)
    parent, base = posixpath.split(rel)
    parent_fd = _parent(root, parent)
    try:
        if rules.no_overwrite_dir_non_dir:
            _check_no_overwrite(parent_fd, base, member, rel)
        rootpath.clear_for(parent_fd, base, is_dir=member.isdir())
        _create(tar, member, root, into, parent_fd, base)
        if member.islnk():
            return
        owner = rules.owner or ((member.uid, member.gid) if rules.keep_owner else (0, 0))
        mtime = None if member.isdir() else member.mtime
        rootpath.set_metadata(parent_fd, base, owner=owner, mode=member.mode, mtime=mtime)
    finally:
        os.close(parent_fd)
    if member.isdir():
        dir_times.append((rel, member.mtime))


def _check_no_overwrite(parent_fd: int, base: str, member: tarfile.TarInfo, rel: str) -> None:
    """Docker's ``NoOverwriteDirNonDir``: its messages, the existing path first."""
    existing = rootpath.lstat_at(parent_fd, base)
    if existing is None:
        return
    if stat.S_ISDIR(existing.st_mode) and not member.isdir():
        raise InvalidParameter(f'cannot overwrite directory "/{rel}" with non-directory '
                               f'"{member.name}"')
    if not stat.S_ISDIR(existing.st_mode) and member.isdir():
        raise InvalidParameter(f'cannot overwrite non-directory "/{rel}" with directory '
                               f'"{member.name}"')


def _check_kind(member: tarfile.TarInfo, into: str, rel: str, rules: UntarRules) -> None:
    if member.ischr() or member.isblk() or member.isfifo():
        if not rules.allow_special:
            raise InvalidParameter(f"invalid tar entry {member.name!r}: device or FIFO")
    elif not (member.isdir() or member.isreg() or member.issym() or member.islnk()):
        raise InvalidParameter(f"unhandled tar header type {member.type!r}: {member.name}")
    if member.issym() and rules.confine_symlinks and not member.linkname.startswith("/"):
        inner_dir = posixpath.dirname(rel[len(into.strip("/")):].lstrip("/"))
        if rootpath.clean_under("", posixpath.join(inner_dir, member.linkname)) is None:
            raise InvalidParameter(f'invalid symlink "/{rel}" -> "{member.linkname}"')
    if member.islnk() and rootpath.clean_under(into, member.linkname.lstrip("/")) is None:
        raise InvalidParameter(f'invalid hardlink "{member.name}" -> "{member.linkname}"')


def _parent(root: Path, parent: str) -> int:
    try:
        return rootpath.open_dir(root, parent)
    except FileNotFoundError:
        return rootpath.make_dirs(root, parent)
    except NotADirectoryError as exc:
        raise InvalidParameter(f"mkdir /{parent}: not a directory") from exc


def _create(tar: tarfile.TarFile, member: tarfile.TarInfo, root: Path, into: str,
            parent_fd: int, base: str) -> None:
    if member.isdir():
        if rootpath.lstat_at(parent_fd, base) is None:
            os.mkdir(base, 0o700, dir_fd=parent_fd)
    elif member.isreg():
        _write(tar, member, parent_fd, base)
    elif member.issym():
        os.symlink(member.linkname, base, dir_fd=parent_fd)
    elif member.islnk():
        _hard_link(root, into, member, parent_fd, base)
    elif member.isfifo():
        os.mkfifo(base, 0o600, dir_fd=parent_fd)
    else:
        kind = stat.S_IFCHR if member.ischr() else stat.S_IFBLK
        os.mknod(base, kind | 0o600, os.makedev(member.devmajor, member.devminor),
                 dir_fd=parent_fd)


def _write(tar: tarfile.TarFile, member: tarfile.TarInfo, parent_fd: int, base: str) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(base, flags, 0o600, dir_fd=parent_fd)
    try:
        if isinstance(tar, _SpooledTar) and not member.issparse():
            _copy_range(tar.spool_fd, member, fd)
        else:
            _copy_stream(tar, member, fd)
    finally:
        os.close(fd)


class _SpooledTar(tarfile.TarFile):
    """A tar read from a spool file: its members' bytes are at known offsets of ``spool_fd``."""

    spool_fd = -1


def _copy_range(source: int, member: tarfile.TarInfo, fd: int) -> None:
    offset, remaining = member.offset_data, member.size
    while remaining > 0:
        moved = os.copy_file_range(source, fd, remaining, offset)
        if not moved:
            raise InvalidParameter(f"unexpected end of tar in {member.name}")
        offset += moved
        remaining -= moved


def _copy_stream(tar: tarfile.TarFile, member: tarfile.TarInfo, fd: int) -> None:
    source = tar.extractfile(member)
    remaining = member.size
    while remaining > 0 and source is not None:
        chunk = source.read(min(_CHUNK, remaining))
        if not chunk:
            raise InvalidParameter(f"unexpected end of tar in {member.name}")
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd, view):]
        remaining -= len(chunk)


def _hard_link(root: Path, into: str, member: tarfile.TarInfo, parent_fd: int, base: str) -> None:
    target = rootpath.clean_under(into, member.linkname.lstrip("/")) or ""
    target_parent, target_base = posixpath.split(target)
    try:
        src_fd = rootpath.open_dir(root, target_parent)
    except OSError as exc:
        raise InvalidParameter(f"hard link target not found: {member.linkname}") from exc
    try:
        os.link(target_base, base, src_dir_fd=src_fd, dst_dir_fd=parent_fd,
                follow_symlinks=False)
    except OSError as exc:
        raise InvalidParameter(f"hard link target not found: {member.linkname}") from exc
    finally:
        os.close(src_fd)


def _set_dir_time(root: Path, rel: str, mtime: float) -> None:
    try:
        fd = rootpath.open_dir(root, rel)
    except OSError:
        return  # replaced by a later entry
    try:
        os.utime(f"/proc/self/fd/{fd}", (mtime, mtime))
    finally:
        os.close(fd)
