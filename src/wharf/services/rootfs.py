"""Container root filesystems: a writable snapshot over the image's layers.

Writes inside a container land in its own upper (or copied) directory; the image's layers are
never modified, so every container of an image starts from the same tree.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from wharf.core.errors import NotFound
from wharf.core.snapshots import SnapshotterProtocol
from wharf.lib.archive import tar_tree
from wharf.lib.mount import remove_tree

__all__ = ["RootfsService"]

log = logging.getLogger(__name__)
_CHUNK = 1 << 20


class _ImageLayers(Protocol):
    @property
    def chain_ids(self) -> list[str]: ...


class RootfsService:
    """Container filesystems on a snapshotter; ``scratch_dir`` holds temporary export spools,
    ``bundles_dir`` the containers' own directories (``<data-root>/containers``), which
    :meth:`remove_orphans` sweeps too."""

    def __init__(
        self, snapshots: SnapshotterProtocol, scratch_dir: Path, bundles_dir: Path | None = None
    ) -> None:
        self._snapshots = snapshots
        self._scratch = scratch_dir
        self._scratch.mkdir(parents=True, exist_ok=True)
        self._bundles = bundles_dir

    def create(self, container_id: str, image: _ImageLayers) -> None:
        for chain_id in image.chain_ids:
            if not self._snapshots.has_layer(chain_id):
                raise NotFound(f"layer {chain_id} of the image is missing")
        self._snapshots.create_container(container_id, list(image.chain_ids))

    def mount(self, container_id: str) -> Path:
        self._require(container_id)
        return self._snapshots.mount(container_id)

    def is_mounted(self, container_id: str) -> bool:
        return self._snapshots.is_mounted(container_id)

    def unmount(self, container_id: str) -> None:
        if self._snapshots.has_container(container_id):
            self._snapshots.unmount(container_id)

    def remove(self, container_id: str) -> None:
        self._snapshots.remove_container(container_id)

    def changes(self, container_id: str) -> list[dict[str, Any]]:
        self._require(container_id)
        return [
            {"Path": path, "Kind": kind} for path, kind in self._snapshots.changes(container_id)
        ]

    def diff(self, container_id: str, out: BinaryIO) -> None:
        """The container's changes as an OCI layer tar (``docker commit``)."""
        self._require(container_id)
        self._snapshots.diff(container_id, out)

    def export(self, container_id: str) -> Iterator[bytes]:
        """A tar of the container's whole filesystem (``docker export``), in chunks.

        The tree is walked at once into a temporary file (so the stream's consumer cannot
        hold the walk open); a filesystem mounted only for the export is unmounted again.
        """
        self._require(container_id)
        was_mounted = self._snapshots.is_mounted(container_id)
        spool = tempfile.TemporaryFile(dir=self._scratch)  # noqa: SIM115 - closed below
        try:
            root = self._snapshots.mount(container_id)
            try:
                tar_tree(root, spool)
            finally:
                if not was_mounted:
                    self._snapshots.unmount(container_id)
            spool.seek(0)
        except BaseException:
            spool.close()
            raise
        return self._chunks(spool)

    @staticmethod
    def _chunks(spool: Any) -> Iterator[bytes]:
        with spool:
            while chunk := spool.read(_CHUNK):
                yield chunk

    def size(self, container_id: str) -> int:
        """Bytes the container wrote (``SizeRw``); walks its writable layer."""
        self._require(container_id)
        return self._snapshots.size(container_id)

    def graph_driver(self, container_id: str) -> dict[str, Any]:
        self._require(container_id)
        return self._snapshots.graph_driver(container_id)

    def remove_orphans(self, known_ids: set[str]) -> list[str]:
        """Remove what containers without a record left (a crash mid-create or mid-remove):
        their snapshots and their directories, mounts unmounted first, symlinks never
        followed. Returns the ids whose leftovers are gone, sorted; one that cannot be removed
        is logged and kept for the next start. Call at daemon start, before serving: a
        container being created has files before it has a record."""
        orphans = set(self._snapshots.containers())
        if self._bundles is not None and self._bundles.is_dir():
            orphans.update(entry.name for entry in self._bundles.iterdir())
        removed = []
        for container_id in sorted(orphans - known_ids):
            try:
                self._snapshots.remove_container(container_id)
                if self._bundles is not None:
                    remove_tree(self._bundles / container_id)
            except OSError as err:
                log.warning("leftovers of container %s stay: %s", container_id, err)
                continue
            removed.append(container_id)
        return removed

    def _require(self, container_id: str) -> None:
        if not self._snapshots.has_container(container_id):
            raise NotFound(f"no filesystem for container {container_id}")
