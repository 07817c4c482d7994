"""Content-addressed blob files: ``<root>/blobs/sha256/<hex>``, published only once verified."""

from __future__ import annotations

import os
from pathlib import Path

from wharf.core.digest import Digest
from wharf.lib.atomicfile import fsync_dir, write_atomic

__all__ = ["BlobStore"]


class BlobStore:
    """Blob bytes by digest. Every file under ``blobs/`` holds exactly its digest's content."""

    def __init__(self, root: Path) -> None:
        self._dir = root / "blobs" / "sha256"
        self._dir.mkdir(parents=True, exist_ok=True)

    def path(self, digest: Digest) -> Path:
        return self._dir / digest.hex

    def size(self, digest: Digest) -> int | None:
        """The blob's size, or None when it is not stored."""
        try:
            return self.path(digest).stat().st_size
        except FileNotFoundError:
            return None

    def read(self, digest: Digest) -> bytes:
        return self.path(digest).read_bytes()

    def put_bytes(self, data: bytes) -> Digest:
        """Store ``data`` (a manifest) under its digest; an existing copy is kept as is."""
        digest = Digest.from_bytes(data)
        if self.size(digest) != len(data):
            write_atomic(self.path(digest), data)
        return digest

    def publish(self, source: Path, digest: Digest) -> None:
        """Move a verified, fsynced file into place as ``digest``'s blob. When the blob is
        already stored, the source is dropped instead (same digest, same bytes)."""
        target = self.path(digest)
        if target.exists():
            source.unlink()
            return
        os.rename(source, target)
        fsync_dir(self._dir)
