"""``/containers/{id}/archive``: stat, read (a tar) and write (extract a tar) paths of a
container, as ``docker cp`` does.

Every path is resolved inside the container's root by ``securepath`` (openat2
``RESOLVE_IN_ROOT``): a symlink in the container, even one swapped in while the copy runs
(CVE-2018-15664), can only lead somewhere else inside that root. The root of a running
container is ``/proc/<pid>/root`` (its own mount namespace, so its volumes and tmpfs are
seen); a created or stopped container's rootfs is mounted for the copy (under the container's
lock, so it does not start meanwhile) and unmounted after when it was not mounted before.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import posixpath
import stat
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from wharf.build.untar import UntarRules, untar
from wharf.core.errors import InvalidParameter, NotFound, WharfError
from wharf.lib import securepath
from wharf.lib.archive import tar_subtree
from wharf.services.archive_paths import PathStat, absolute_path, archive_name, split_resolvable
from wharf.services.container_record import ContainerRecord
from wharf.services.containers import ContainerService
from wharf.services.rootfs import RootfsService

__all__ = ["ArchiveService", "ExtractOptions"]

_CHUNK = 1 << 20
_PRUNE_RUNNING = frozenset({"proc", "sys"})  # a live container's kernel views: not archived
_MAX_EXTRACT_BYTES = 1 << 40
_MAX_EXTRACT_ENTRIES = 10_000_000

UserResolver = Callable[[Path, str], tuple[int, int, list[int]]]


@dataclass(frozen=True)
class ExtractOptions:
    no_overwrite_dir_non_dir: bool = False
    copy_uid_gid: bool = False


@dataclass(frozen=True)
class _Root:
    path: Path
    running: bool


class ArchiveService:
    """``resolve_user(root, user)`` finds a user in a container's /etc/passwd (``-a``)."""

    def __init__(self, containers: ContainerService, rootfs: RootfsService,
                 resolve_user: UserResolver, scratch_dir: Path) -> None:
        self._containers = containers
        self._rootfs = rootfs
        self._resolve_user = resolve_user
        self._scratch = scratch_dir

    async def stat(self, ref: str, path: str) -> PathStat:
        record = self._containers.get(ref)
        async with self._root(record) as root:
            return await asyncio.to_thread(_stat, root.path, path, ref)

    async def read(self, ref: str, path: str) -> tuple[PathStat, Iterator[bytes]]:
        """The path's stat and a tar of it (spooled first: a slow client holds no mount)."""
        record = self._containers.get(ref)
        async with self._root(record) as root:
            found, chunks = await asyncio.to_thread(self._read, root, path, ref)
        self._containers.emit(record, "archive-path")
        return found, chunks

    def _read(self, root: _Root, path: str, ref: str) -> tuple[PathStat, Iterator[bytes]]:
        rel, found = _locate(root.path, path, ref)
        spool = tempfile.TemporaryFile(dir=self._scratch)  # noqa: SIM115 - closed by _chunks
        try:
            if not tar_subtree(root.path, rel, archive_name(absolute_path(path)), spool,
                               _PRUNE_RUNNING if root.running else frozenset()):
                raise NotFound(f"Could not find the file {path} in container {ref}")
            spool.seek(0)
        except BaseException:
            spool.close()
            raise
        return found, _chunks(spool)

    async def extract(self, ref: str, path: str, stream: BinaryIO,
                      options: ExtractOptions) -> None:
        """Unpack the tar ``stream`` into the existing directory ``path`` of the container."""
        record = self._containers.get(ref)
        absolute = absolute_path(path)
        if record.host_config.get("ReadonlyRootfs") and not _on_writable_mount(record,
                                                                               absolute):
            raise WharfError("container rootfs is marked read-only")
        async with self._root(record) as root:
            await asyncio.to_thread(self._extract, record, root.path, path, ref, stream,
                                    options)
        self._containers.emit(record, "extract-to-dir")

    def _extract(self, record: ContainerRecord, root: Path, path: str, ref: str,
                 stream: BinaryIO, options: ExtractOptions) -> None:
        absolute = absolute_path(path)
        try:
            fd = securepath.open_in_root(root, absolute, os.O_PATH)
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(f"Could not find the file {path} in container {ref}") from None
        try:
            if not os.path.isdir(f"/proc/self/fd/{fd}"):
                raise InvalidParameter("extraction point is not a directory")
        finally:
            os.close(fd)
        rel = securepath.resolve_in_root(root, absolute).relative_to(root).as_posix()
        owner = None
        user = str(record.config.get("User") or "")
        if options.copy_uid_gid and user:
            uid, gid, _ = self._resolve_user(root, user)
            owner = (uid, gid)
        rules = UntarRules(
            label="Error processing tar file", keep_owner=True, allow_absolute=True,
            allow_special=True, confine_symlinks=True, clamp_dotdot=False,
            max_bytes=_MAX_EXTRACT_BYTES, max_entries=_MAX_EXTRACT_ENTRIES, owner=owner,
            no_overwrite_dir_non_dir=options.no_overwrite_dir_non_dir)
        untar(stream, root, "" if rel == "." else rel, rules)

    @contextlib.asynccontextmanager
    async def _root(self, record: ContainerRecord) -> AsyncIterator[_Root]:
        if record.state.running and record.state.pid:
            yield _Root(Path(f"/proc/{record.state.pid}/root"), True)
            return
        async with self._containers.operation_lock(record.id):
            if record.state.running and record.state.pid:  # started while we waited
                yield _Root(Path(f"/proc/{record.state.pid}/root"), True)
                return
            was_mounted = await asyncio.to_thread(self._rootfs.is_mounted, record.id)
            root = await asyncio.to_thread(self._rootfs.mount, record.id)
            try:
                yield _Root(root, False)
            finally:
                if not was_mounted:
                    await asyncio.to_thread(self._rootfs.unmount, record.id)


def _resolved(root: Path, absolute: str) -> str:
    """The in-root path ``absolute`` names: its directory resolved (symlinks followed inside
    the root), its last component as is ("" is the root)."""
    directory, base = split_resolvable(absolute)
    resolved = securepath.resolve_in_root(root, directory).relative_to(root).as_posix()
    resolved = "" if resolved == "." else resolved
    return posixpath.join(resolved, base) if base else resolved


def _stat(root: Path, path: str, ref: str) -> PathStat:
    return _locate(root, path, ref)[1]


def _locate(root: Path, path: str, ref: str) -> tuple[str, PathStat]:
    """The in-root path the request names and its stat (404 in Docker's words)."""
    absolute = absolute_path(path)
    rel = _resolved(root, absolute)
    try:
        fd = securepath.open_in_root(root, rel, os.O_PATH | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise NotFound(f"Could not find the file {path} in container {ref}") from None
        raise
    try:
        st = os.fstat(fd)
    finally:
        os.close(fd)
    link = ""
    if stat.S_ISLNK(st.st_mode):
        target = securepath.resolve_in_root(root, absolute).relative_to(root).as_posix()
        link = "/" if target == "." else "/" + target
    return rel, PathStat.of(archive_name(absolute), st, link)


def _on_writable_mount(record: ContainerRecord, absolute: str) -> bool:
    """Whether ``absolute`` is on a writable volume or bind of the container (a read-only
    rootfs still takes copies there, as dockerd's ``checkIfPathIsInAVolume``)."""
    clean = posixpath.normpath(absolute)
    for mount in record.mounts:
        destination = str(mount.get("Destination") or "").rstrip("/")
        if destination and mount.get("RW", True) and (
                clean == destination or clean.startswith(destination + "/")):
            return True
    return False


def _chunks(spool: Any) -> Iterator[bytes]:
    with spool:
        while chunk := spool.read(_CHUNK):
            yield chunk
