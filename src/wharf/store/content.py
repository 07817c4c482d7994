"""Content-addressed blob store on the local filesystem.

    <root>/blobs/sha256/<hex>       published blobs, read only, never half-written
    <root>/ingest/tmp-<random>      writes in progress; garbage at startup
    <root>/ingest/sha256-<hex>      a resumable download of the blob ``sha256:<hex>``: kept
                                    across restarts (dropped after ``RESUMABLE_MAX_AGE``)

A write goes to an ingest file, is fsynced, its size and sha256 are checked against what the
caller expected, then it is renamed under its digest and the directory is fsynced. A crash at any
point leaves either no blob or a complete one. A resumable ingest is named by the digest it must
have: after an interrupted download (a dropped connection, a kill -9 of the daemon) the next
writer for that digest starts with the bytes already there (``offset``), re-reads them
(``replay``) and appends the rest.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from wharf.core.digest import SHA256, Digest, Hasher
from wharf.core.errors import Conflict, InvalidParameter, NotFound
from wharf.lib.atomicfile import fsync_dir

__all__ = ["RESUMABLE_MAX_AGE", "ContentStore", "ContentWriter", "DigestMismatch"]

_CHUNK = 1 << 20
RESUMABLE_MAX_AGE = 24 * 3600.0  # seconds a partial download is kept without being touched
_RESUMABLE_PREFIX = "sha256-"
_TEMP_PREFIX = "tmp-"


class DigestMismatch(InvalidParameter):
    """The bytes written do not match the expected digest or size."""


class IngestBusy(Conflict):
    """Another writer holds the resumable ingest of this digest."""


class ContentWriter:
    """One ingest in progress (use as a context manager: leaving without commit aborts)."""

    def __init__(self, store: ContentStore, path: Path, *, resumable: bool = False) -> None:
        self._store = store
        self._path = path
        self._hasher: Hasher = Digest.hasher()
        self._file: BinaryIO | None = None
        if not resumable:
            self._file = open(path, "xb")  # noqa: SIM115 - closed in commit/abort
            self._size = 0
            self._offset = 0
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise IngestBusy(f"blob {path.name} is being written by another writer") from None
        self._file = os.fdopen(fd, "r+b")
        self._offset = self._file.seek(0, os.SEEK_END)
        self._size = 0  # bytes hashed so far: the replayed prefix, then what is written

    @property
    def offset(self) -> int:
        """Bytes a resumed ingest already holds (0 for a new one); ``replay`` them first."""
        return self._offset

    def replay(self, chunk_size: int = _CHUNK) -> Iterator[bytes]:
        """The bytes already in a resumed ingest, hashed as they are read; writing continues
        after them. Must be consumed completely before the first ``write``."""
        if self._file is None:
            raise ValueError("writer is closed")
        self._file.seek(0)
        while self._size < self._offset:
            data = self._file.read(min(chunk_size, self._offset - self._size))
            if not data:
                raise OSError(f"ingest {self._path.name} shrank while it was replayed")
            self._hasher.update(data)
            self._size += len(data)
            yield data
        self._file.seek(self._offset)

    def discard_partial(self) -> None:
        """Start a resumed ingest over from byte 0 (its bytes turned out to be wrong)."""
        if self._file is None:
            raise ValueError("writer is closed")
        self._file.seek(0)
        self._file.truncate()
        self._hasher = Digest.hasher()
        self._size = self._offset = 0

    def write(self, data: bytes) -> int:
        if self._file is None:
            raise ValueError("writer is closed")
        if self._size < self._offset:
            raise ValueError("replay the resumed bytes before writing more")
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
        if self._size < self._offset:
            raise ValueError("replay the resumed bytes before committing")
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

    def suspend(self) -> None:
        """Close, keeping the bytes written so far for the next writer of this digest
        (resumable ingests; others are aborted)."""
        if not self._path.name.startswith(_RESUMABLE_PREFIX):
            self.abort()
            return
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.flush()
            self._file.close()
            self._file = None

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

    def clean_ingest(self, max_age: float = RESUMABLE_MAX_AGE) -> None:
        """Drop partial writes left by a crash (call only when no writer is open), except
        resumable downloads touched in the last ``max_age`` seconds."""
        self._ingest.mkdir(parents=True, exist_ok=True)
        now = time.time()
        for entry in os.scandir(self._ingest):
            keep = (
                entry.name.startswith(_RESUMABLE_PREFIX)
                and entry.is_file(follow_symlinks=False)
                and now - entry.stat(follow_symlinks=False).st_mtime < max_age
            )
            if keep:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)

    def writer(self) -> ContentWriter:
        return ContentWriter(self, self._ingest / f"{_TEMP_PREFIX}{os.urandom(16).hex()}")

    def resumable_writer(self, expected: Digest) -> ContentWriter:
        """The ingest of the blob ``expected``, resumed from what an earlier interrupted
        writer left (see ``ContentWriter.offset``/``replay``). One writer at a time per digest
        (``IngestBusy`` otherwise); leave with ``suspend`` to keep the bytes for later."""
        return ContentWriter(
            self, self._ingest / f"{_RESUMABLE_PREFIX}{expected.hex}", resumable=True
        )

    def partial_size(self, expected: Digest) -> int:
        """Bytes a resumable ingest of ``expected`` holds (0 when there is none)."""
        try:
            return (self._ingest / f"{_RESUMABLE_PREFIX}{expected.hex}").stat().st_size
        except FileNotFoundError:
            return 0

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
