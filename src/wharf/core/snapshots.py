"""The snapshotter interface: unpacked layers and per-container writable filesystems.

Implemented by ``wharf.store.snapshots.overlay.OverlaySnapshotter`` (overlayfs: one directory per
layer, stacked lowerdirs) and ``wharf.store.snapshots.native.NativeSnapshotter`` (full copies,
for filesystems without overlayfs). ``tests/integration/store/test_snapshots_suite`` runs one
conformance suite against both.

Layers are named by chain id (``sha256:<hex>``; OCI image-spec "ChainID"), containers by their
64-hex id. Container ``changes`` are Docker's kinds: 0 modified, 1 added, 2 deleted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO, Protocol

__all__ = ["SnapshotterProtocol"]


class SnapshotterProtocol(Protocol):
    @property
    def name(self) -> str:
        """Docker's GraphDriver.Name: ``overlay2``, or ``vfs`` for the copying driver."""
        ...

    def has_layer(self, chain_id: str) -> bool: ...

    def add_layer(self, chain_id: str, parent: str | None, stream: BinaryIO) -> int:
        """Unpack the layer tar ``stream`` on top of ``parent``; returns its unpacked size.

        Atomic: a crash leaves either no layer or a complete one. Adding an existing layer
        reads nothing and returns its recorded size.
        """
        ...

    def remove_layer(self, chain_id: str) -> None: ...
    def layers(self) -> list[str]: ...

    def create_container(self, container_id: str, chain_ids: list[str]) -> None:
        """A writable filesystem over the image's layers (bottom first)."""
        ...

    def mount(self, container_id: str) -> Path:
        """The container's root filesystem (idempotent)."""
        ...

    def is_mounted(self, container_id: str) -> bool: ...
    def unmount(self, container_id: str) -> None: ...
    def remove_container(self, container_id: str) -> None:
        """Unmount whatever is mounted in the container's snapshot, then delete it (idempotent;
        never follows a symlink out of it)."""
        ...

    def has_container(self, container_id: str) -> bool: ...

    def containers(self) -> list[str]:
        """Every container snapshot there is, complete or half made (by a crash)."""
        ...

    def changes(self, container_id: str) -> list[tuple[str, int]]: ...

    def diff(self, container_id: str, out: BinaryIO) -> None:
        """Write the container's changes as an OCI layer tar (for commit)."""
        ...

    def size(self, container_id: str) -> int:
        """Bytes the container wrote (Docker's ``SizeRw``): what its writable layer holds."""
        ...

    def graph_driver(self, container_id: str) -> dict[str, Any]: ...
    def image_graph_driver(self, chain_ids: list[str]) -> dict[str, Any]:
        """Docker's GraphDriver for an image made of these layers (bottom first)."""
        ...

    def cleanup(self) -> None:
        """Drop leftovers of interrupted work (half-unpacked layers); call at startup."""
        ...
