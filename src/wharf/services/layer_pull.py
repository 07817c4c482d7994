"""One pulled layer as one streaming pass: registry body → content store → decompress →
diff id hash → snapshotter.

    HTTP body ──► _BlobFeed ──────────► decompressed() ──► _DiffIdCheck ──► snapshots.add_layer
                  │ writes the resumable ingest          │ sha256 of the tar, checked at its end
                  │ sha256 + size checked at its end (commit)

Nothing is published unless both digests match: the blob is committed when the body ends and
matches the manifest's digest and size; the snapshot is renamed into place only after the tar
was read to its end, and its sha256 matched the config's diff id (the check raises from inside
the snapshotter's read, which then removes its temporary directory). An interrupted transfer
keeps its ingest: the next pull replays those bytes through the same pipeline and asks the
registry for the rest with ``Range``.

``fetch_blob`` is the download-only variant (the copying snapshotter needs the parent layer
unpacked first, so its layers are downloaded concurrently and unpacked in order from the store).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, cast

from wharf.core.content import ContentStoreProtocol, ResumableWriterProtocol
from wharf.core.digest import Digest, Hasher
from wharf.core.errors import InvalidParameter, WharfError
from wharf.core.snapshots import SnapshotterProtocol
from wharf.lib.archive import decompressed

__all__ = [
    "BlobOpener",
    "LayerJob",
    "LayerMismatch",
    "TransferInterrupted",
    "chunked",
    "fetch_blob",
    "pull_layer",
    "unpack_blob",
]

BlobOpener = Callable[[Digest, int], tuple[int, Iterator[bytes]]]
"""``(blob, offset) -> (start, chunks)``: the blob's bytes from ``offset`` (``start`` is where
the body really starts: 0 when the registry ignored the range). Closing the iterator ends the
transfer."""

Progress = Callable[[int], None]
_CHUNK = 1 << 20


class LayerMismatch(InvalidParameter):
    """A layer's bytes are not what the manifest or the config promised."""


@dataclass(frozen=True)
class LayerJob:
    blob: Digest
    size: int
    media_type: str
    diff_id: str
    chain_id: str
    parent: str | None


class _BlobFeed:
    """The compressed bytes: the resumed ingest's, then the registry's (each written to the
    ingest). At the end the ingest is committed, which checks digest and size."""

    def __init__(self, job: LayerJob, writer: ResumableWriterProtocol, chunks: Iterator[bytes],
                 progress: Progress) -> None:
        self._job = job
        self._writer = writer
        self._replayed = writer.replay(_CHUNK)
        self._remote = chunks
        self._progress = progress
        self._pending = memoryview(b"")
        self.count = 0
        self.finished = False

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = _CHUNK
        while not self._pending:
            if self.finished:
                return b""
            chunk = self._next_chunk()
            if chunk is None:
                self._finish()
                return b""
            self._pending = memoryview(chunk)
        data, self._pending = self._pending[:size], self._pending[size:]
        return bytes(data)

    def _next_chunk(self) -> bytes | None:
        chunk = next(self._replayed, None)
        if chunk is None:
            chunk = self._next_remote()
            if chunk is None:
                return None
            if self.count + len(chunk) > self._job.size:
                raise LayerMismatch(
                    f"blob {self._job.blob}: the registry sent more than {self._job.size} bytes")
            self._writer.write(chunk)
        self.count += len(chunk)
        self._progress(self.count)
        return chunk

    def _next_remote(self) -> bytes | None:
        try:
            return next(self._remote, None)
        except WharfError:
            raise
        except Exception as exc:  # the transport's own errors: a transfer to resume later
            raise TransferInterrupted(f"blob {self._job.blob}: {exc}") from exc

    def _finish(self) -> None:
        if self.count != self._job.size:
            raise TransferInterrupted(
                f"blob {self._job.blob}: unexpected EOF after {self.count} of "
                f"{self._job.size} bytes")
        try:
            self._writer.commit(self._job.blob, self._job.size)
        except InvalidParameter as exc:
            raise LayerMismatch(
                f"filesystem layer verification failed for digest {self._job.blob}: {exc}"
            ) from exc
        self.finished = True

    def drain(self) -> None:
        while self.read(_CHUNK):
            pass


class TransferInterrupted(WharfError):
    """The body ended early or the connection failed: a transfer to resume, not bad content
    (never an OSError, which the decompressor would take for corrupt data)."""


class _DiffIdCheck:
    """The uncompressed tar, hashed; at its end the hash must be the config's diff id."""

    def __init__(self, plain: BinaryIO, diff_id: str) -> None:
        self._plain = plain
        self._diff_id = diff_id
        self._hasher: Hasher = Digest.hasher()
        self.verified = False

    def read(self, size: int = -1) -> bytes:
        data = self._plain.read(size if size is not None and size >= 0 else _CHUNK)
        if data:
            self._hasher.update(data)
        elif not self.verified:
            actual = f"sha256:{self._hasher.hexdigest()}"
            if actual != self._diff_id:
                raise LayerMismatch(f"layer diff id mismatch: the tar of the layer is {actual}, "
                                    f"the image config says {self._diff_id}")
            self.verified = True
        return data


def _open_remote(job: LayerJob, writer: ResumableWriterProtocol,
                 open_blob: BlobOpener) -> Iterator[bytes]:
    start, chunks = open_blob(job.blob, writer.offset)
    if start != writer.offset:  # the registry ignored Range: start over
        writer.discard_partial()
    return chunks


def pull_layer(job: LayerJob, content: ContentStoreProtocol, snapshots: SnapshotterProtocol,
               open_blob: BlobOpener, progress: Progress, limit: int) -> int:
    """Fetch, verify and unpack one layer in a single pass; returns its unpacked size.

    ``limit`` bounds the uncompressed tar. On a transfer error the partial blob is kept for
    the next pull; on bad content it is dropped and nothing is published.
    """
    writer = content.resumable_writer(job.blob)
    try:
        chunks = _open_remote(job, writer, open_blob)
        feed = _BlobFeed(job, writer, chunks, progress)
        try:
            check = _DiffIdCheck(decompressed(cast(BinaryIO, feed), limit), job.diff_id)
            size = snapshots.add_layer(job.chain_id, job.parent, cast(BinaryIO, check))
        finally:
            _close(chunks)
        if not (check.verified and feed.finished):  # the layer existed, or a reader stopped
            _verify_after_publish(job, feed, check, snapshots)
        return size
    except BaseException as exc:
        _leave(writer, exc)
        if isinstance(exc, LayerMismatch) and content.has(job.blob):
            content.delete(job.blob)  # committed before the tar turned out wrong
        raise


def _verify_after_publish(job: LayerJob, feed: _BlobFeed, check: _DiffIdCheck,
                          snapshots: SnapshotterProtocol) -> None:
    try:
        while check.read(_CHUNK):
            pass
        feed.drain()
    except LayerMismatch:
        snapshots.remove_layer(job.chain_id)
        raise


def unpack_blob(job: LayerJob, content: ContentStoreProtocol, snapshots: SnapshotterProtocol,
                limit: int, *, fetched: bool) -> int:
    """Unpack a layer whose blob is in the content store, its diff id checked the same way;
    a blob ``fetched`` for this layer is dropped when its tar is not what the config says."""
    try:
        with content.open(job.blob) as blob:
            check = _DiffIdCheck(decompressed(blob, limit), job.diff_id)
            size = snapshots.add_layer(job.chain_id, job.parent, cast(BinaryIO, check))
            if not check.verified:
                try:
                    while check.read(_CHUNK):
                        pass
                except LayerMismatch:
                    snapshots.remove_layer(job.chain_id)
                    raise
    except LayerMismatch:
        if fetched:
            content.delete(job.blob)
        raise
    return size


def fetch_blob(job: LayerJob, content: ContentStoreProtocol, open_blob: BlobOpener,
               progress: Progress) -> None:
    """Download and verify one blob into the content store (resuming a partial one)."""
    writer = content.resumable_writer(job.blob)
    try:
        chunks = _open_remote(job, writer, open_blob)
        try:
            _BlobFeed(job, writer, chunks, progress).drain()
        finally:
            _close(chunks)
    except BaseException as exc:
        _leave(writer, exc)
        raise


def _leave(writer: ResumableWriterProtocol, exc: BaseException) -> None:
    """Bad content is dropped; anything else (network, cancel) keeps the bytes to resume."""
    if isinstance(exc, InvalidParameter):
        writer.abort()
    else:
        with contextlib.suppress(ValueError):
            writer.suspend()


def _close(chunks: Iterator[bytes]) -> None:
    close = getattr(chunks, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):
            close()


def chunked(data: bytes, size: int = _CHUNK) -> Iterator[bytes]:
    """``data`` in pieces (tests and small local sources)."""
    return (data[i:i + size] for i in range(0, len(data), size))
