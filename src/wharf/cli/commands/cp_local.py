"""The local side of ``wharf cp``, docker's ``archive.CopyTo``/``TarResource`` rules: where a
tar goes (the destination's parent, its top entry renamed to the destination's name, or into
an existing directory) and how local files become a tar with the names the container side
expects. Extraction never leaves the destination (tarfile's ``data`` checks on every name and
hard link; a symlink may point anywhere, but nothing is written through one)."""

from __future__ import annotations

import os
import posixpath
import tarfile
import tempfile
from collections.abc import Iterator
from typing import IO

from wharf.cli.command import CommandFailed

__all__ = ["ChunkReader", "CopyPlan", "extract", "plan_copy", "split_dir_entry", "tar_source"]

CHUNK = 1 << 20


def split_dir_entry(path: str) -> tuple[str, str]:
    """Docker's ``SplitPathDirEntry``: (directory, base) of the cleaned path, a trailing
    ``/.`` kept as the base ``.`` ("copy the contents")."""
    cleaned = posixpath.normpath(path) if path else "."
    if path.endswith("/.") or path == ".":
        cleaned = cleaned.rstrip("/") + "/." if cleaned != "/" else "/."
    directory, base = posixpath.split(cleaned)
    if cleaned == "/":
        return "/", "/"
    return directory or ".", base


class CopyPlan:
    """Where to extract (``directory``) and how to rename the top entry (``old`` → ``new``,
    both "" when the names stay)."""

    __slots__ = ("directory", "new", "old")

    def __init__(self, directory: str, old: str = "", new: str = "") -> None:
        self.directory, self.old, self.new = directory, old, new

    def rename(self, name: str) -> str:
        if not self.old:
            return name
        if self.old == "/":  # a container's root: "/" and "/x" (dockerd's absolute names)
            return self.new + name.rstrip("/") if name != "/" else self.new
        if name == self.old or name.startswith(self.old + "/"):
            return self.new + name[len(self.old):]
        return name


def plan_copy(src_path: str, src_is_dir: bool, dst_path: str, dst_exists: bool,
              dst_is_dir: bool, rebase_name: str = "") -> CopyPlan:
    """Docker's ``PrepareArchiveCopy``: its cases and its errors."""
    dst_dir, dst_base = split_dir_entry(dst_path)
    src_base = split_dir_entry(src_path)[1]
    if dst_exists and dst_is_dir:
        return CopyPlan(dst_path, src_base, rebase_name) if rebase_name else CopyPlan(dst_path)
    if dst_exists and src_is_dir:
        raise CommandFailed(1, "cannot copy directory")
    if not dst_exists and not src_is_dir and (dst_path.endswith("/") or
                                              dst_path.endswith("/.")):
        raise CommandFailed(1, "no such directory")
    return CopyPlan(dst_dir, src_base, dst_base)


class UnsafeEntry(Exception):
    pass


def _inside(root: str, path: str) -> bool:
    return os.path.commonpath([root, path]) == root


def _checked(member: tarfile.TarInfo, plan: CopyPlan, root: str,
             keep_owner: bool) -> tarfile.TarInfo:
    """The entry renamed for the destination, refused when it would write outside ``root``
    (a ``..`` name, a parent that is a symlink leading out, a hard link to outside). A symlink
    is only a name and may point anywhere. Without ``-a`` the files are the caller's.
    (Written out rather than with tarfile's ``filter=``, which Debian 12's Python lacks.)"""
    member.name = plan.rename(member.name).lstrip("/") or "."
    if ".." in member.name.split("/"):
        raise UnsafeEntry(f"{member.name!r} is outside the destination")
    parent = os.path.realpath(os.path.join(root, os.path.dirname(member.name)))
    if not _inside(root, parent):
        raise UnsafeEntry(f"{member.name!r} would be written through a link out of "
                          "the destination")
    if member.islnk():
        member.linkname = plan.rename(member.linkname).lstrip("/")
        if not _inside(root, os.path.realpath(os.path.join(root, member.linkname))):
            raise UnsafeEntry(f"{member.name!r} links to {member.linkname!r}, outside")
    if not keep_owner:
        member.uid, member.gid, member.uname, member.gname = os.getuid(), os.getgid(), "", ""
    return member


def _set_attributes(tar: tarfile.TarFile, member: tarfile.TarInfo, path: str) -> None:
    tar.chown(member, path, numeric_owner=True)
    tar.utime(member, path)
    tar.chmod(member, path)


def extract(stream: IO[bytes], plan: CopyPlan, keep_owner: bool) -> None:
    """Unpack the container's tar into the local ``plan.directory``."""
    root = os.path.realpath(plan.directory)
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            directories = []
            for member in tar:
                member = _checked(member, plan, root, keep_owner)
                tar.extract(member, root, set_attrs=not member.isdir(), numeric_owner=True)
                if member.isdir():
                    directories.append(member)
            for directory in reversed(directories):  # after their contents, as extractall
                _set_attributes(tar, directory, os.path.join(root, directory.name))
    except UnsafeEntry as exc:
        raise CommandFailed(1, f"invalid tar entry: {exc}") from exc
    except tarfile.TarError as exc:
        raise CommandFailed(1, f"unexpected tar content: {exc}") from exc


def tar_source(path: str, name: str, follow_link: bool) -> Iterator[bytes]:
    """A tar of the local ``path`` (a directory with all under it), its top entry ``name``
    ("." copies a directory's contents); symlinks inside stay links, the top one is followed
    with ``-L``. Written to a temporary file first: memory stays flat for any size."""
    source = path[:-2] or "/" if path.endswith("/.") else path.rstrip("/") or "/"
    if follow_link:
        source = os.path.realpath(source)
    with tempfile.TemporaryFile() as spool:
        with tarfile.open(fileobj=spool, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            tar.add(source, arcname=name, recursive=True)
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk


class ChunkReader:
    """A file-like ``read`` over an iterator of byte chunks (the archive response)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, b"")
            if not chunk:
                break
            self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        self.count += len(data)
        return data
