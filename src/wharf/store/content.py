"""Content-addressed blob store on the local filesystem.

    <root>/blobs/sha256/<hex>     published blobs, read only, never half-written
    <root>/ingest/<random>        writes in progress; anything here at startup is garbage

A write goes to an ingest file, is fsynced, its size and sha256 are checked against what the
caller expected, then it is renamed under its digest and the directory is fsynced. A crash at any
point leaves either no blob or a complete one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from wharf.core.digest import SHA256, Digest, Hasher
from wharf.core.errors import InvalidParameter, NotFound
from wharf.lib.atomicfile import fsync_dir

__all__ = ["ContentStore", "ContentWriter", "DigestMismatch"]

_CHUNK = 1 << 20


class DigestMismatch(InvalidParameter):
    """The bytes written do not match the expected digest or size."""


class ContentWriter:
    """One ingest in progress (use as a context manager: leaving without commit aborts)."""

    def __init__(self, store: ContentStore, path: Path) -> None:
        self._store = store
        self._path = path
        self._file: BinaryIO | None = open(path, "xb")  # noqa: SIM115 - closed in commit/abort
        self._hasher: Hasher = Digest.hasher()
        self._size = 0

    def write(self, data: bytes) -> int:
        if self._file is None:
            raise ValueError("writer is closed")
        self._file.write(data)
        self._hasher.update(data)
        self._size += len(data)
        return len(data)

    @property
    def written(self) -> int:
        return self._size

    def commit(self, expected: Digest | None = None, size: int | None = None) -> Digest:
        """Verify and publish; returns the blob's digest. Aborts on mismatch."""
        if self._file is None:
            raise ValueError("writer is closed")
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
        finally:
            self._file.close()
            self._file = None
        digest = Digest.from_hasher(self._hasher)
        try:
            if size is not None and size != self._size:
                raise DigestMismatch(f"unexpected size {self._size}, expected {size}")
            if expected is not None and expected != digest:
                raise DigestMismatch(f"unexpected digest {digest}, expected {expected}")
            self._store._publish(self._path, digest)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._path)
        return digest

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path)

    def __enter__(self) -> ContentWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()


class ContentStore:
    """Blobs under ``root`` (``<data-root>/content``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._blobs = root / "blobs" / SHA256
        self._ingest = root / "ingest"
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o700)
        self._blobs.mkdir(parents=True, exist_ok=True)
        self.clean_ingest()

    def clean_ingest(self) -> None:
        """Drop partial writes left by a crash (call only when no writer is open)."""
        shutil.rmtree(self._ingest, ignore_errors=True)
        self._ingest.mkdir(parents=True, exist_ok=True)

    def writer(self) -> ContentWriter:
        return ContentWriter(self, self._ingest / os.urandom(16).hex())

    def ingest(
        self, stream: BinaryIO, expected: Digest | None = None, size: int | None = None
    ) -> Digest:
        """Copy ``stream`` into the store; with ``size``, reading stops one byte past it."""
        with self.writer() as w:
            limit = None if size is None else size + 1
            while limit is None or w.written < limit:
                want = _CHUNK if limit is None else min(_CHUNK, limit - w.written)
                chunk = stream.read(want)
                if not chunk:
                    break
                w.write(chunk)
            return w.commit(expected, size)

    def put_bytes(self, data: bytes, expected: Digest | None = None) -> Digest:
        digest = Digest.from_bytes(data)
        if expected is not None and expected != digest:
            raise DigestMismatch(f"unexpected digest {digest}, expected {expected}")
        if self.has(digest):
            return digest
        with self.writer() as w:
            w.write(data)
            return w.commit(digest, len(data))

    def path(self, digest: Digest) -> Path:
        return self._blobs / digest.hex

    def has(self, digest: Digest) -> bool:
        return self.path(digest).is_file()

    def size(self, digest: Digest) -> int:
        try:
            return self.path(digest).stat().st_size
        except FileNotFoundError:
            raise NotFound(f"content digest {digest}: not found") from None

    def open(self, digest: Digest) -> BinaryIO:
        try:
            return open(self.path(digest), "rb")
        except FileNotFoundError:
            raise NotFound(f"content digest {digest}: not found") from None

    def read_bytes(self, digest: Digest, limit: int) -> bytes:
        with self.open(digest) as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise InvalidParameter(f"blob {digest} is larger than {limit} bytes")
        return data

    def delete(self, digest: Digest) -> bool:
        try:
            os.unlink(self.path(digest))
        except FileNotFoundError:
            return False
        fsync_dir(self._blobs)
        return True

    def walk(self) -> Iterator[Digest]:
        for entry in os.scandir(self._blobs):
            with contextlib.suppress(InvalidParameter):
                yield Digest(SHA256, entry.name)

    def _publish(self, ingest_path: Path, digest: Digest) -> None:
        target = self.path(digest)
        os.chmod(ingest_path, 0o444)
        try:
            os.rename(ingest_path, target)
        except OSError as exc:  # pragma: no cover - rename within one dir does not fail
            if exc.errno != errno.EEXIST:
                raise
        fsync_dir(self._blobs)
