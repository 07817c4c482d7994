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
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from wharf.build.untar import UntarRules, untar
from wharf.core.errors import NotFound
from wharf.lib.archive import tar_subtree
from wharf.services.archive_paths import PathStat, absolute_path, archive_name
from wharf.services.archive_resolve import (
    ContainerRoot,
    check_writable,
    extraction_dir,
    locate,
    mount_sources,
)
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
            found: PathStat = (await asyncio.to_thread(locate, root, path, ref))[1]
            return found

    async def read(self, ref: str, path: str) -> tuple[PathStat, Iterator[bytes]]:
        """The path's stat and a tar of it (spooled first: a slow client holds no mount)."""
        record = self._containers.get(ref)
        async with self._root(record) as root:
            found, chunks = await asyncio.to_thread(self._read, root, path, ref)
        self._containers.emit(record, "archive-path")
        return found, chunks

    def _read(self, root: ContainerRoot, path: str,
              ref: str) -> tuple[PathStat, Iterator[bytes]]:
        place, found = locate(root, path, ref)
        spool = tempfile.TemporaryFile(dir=self._scratch)  # noqa: SIM115 - closed by _chunks
        try:
            if not tar_subtree(place.root, place.rel, archive_name(absolute_path(path)), spool,
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
        async with self._root(record) as root:
            await asyncio.to_thread(self._extract, record, root, path, ref, stream, options)
        self._containers.emit(record, "extract-to-dir")

    def _extract(self, record: ContainerRecord, root: ContainerRoot, path: str, ref: str,
                 stream: BinaryIO, options: ExtractOptions) -> None:
        place = extraction_dir(root, path, ref)
        check_writable(record.mounts, bool(record.host_config.get("ReadonlyRootfs")),
                       place.container_path)
        owner = None
        user = str(record.config.get("User") or "")
        if options.copy_uid_gid and user:
            uid, gid, _ = self._resolve_user(root.path, user)
            owner = (uid, gid)
        rules = UntarRules(
            label="Error processing tar file", keep_owner=True, allow_absolute=True,
            allow_special=True, confine_symlinks=True, clamp_dotdot=False,
            max_bytes=_MAX_EXTRACT_BYTES, max_entries=_MAX_EXTRACT_ENTRIES, owner=owner,
            no_overwrite_dir_non_dir=options.no_overwrite_dir_non_dir)
        untar(stream, place.root, place.rel, rules)

    @contextlib.asynccontextmanager
    async def _root(self, record: ContainerRecord) -> AsyncIterator[ContainerRoot]:
        if record.state.running and record.state.pid:
            yield ContainerRoot(Path(f"/proc/{record.state.pid}/root"), True)
            return
        async with self._containers.operation_lock(record.id):
            if record.state.running and record.state.pid:  # started while we waited
                yield ContainerRoot(Path(f"/proc/{record.state.pid}/root"), True)
                return
            was_mounted = await asyncio.to_thread(self._rootfs.is_mounted, record.id)
            root = await asyncio.to_thread(self._rootfs.mount, record.id)
            try:
                yield ContainerRoot(root, False, mount_sources(record.mounts))
            finally:
                if not was_mounted:
                    await asyncio.to_thread(self._rootfs.unmount, record.id)


def _chunks(spool: Any) -> Iterator[bytes]:
    with spool:
        while chunk := spool.read(_CHUNK):
            yield chunk
