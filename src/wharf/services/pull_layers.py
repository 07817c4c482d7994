"""The layers of one pull: which are present, which to fetch, and the fetch pool.

Layers are named by chain id computed from the config's diff ids, so presence ("Already
exists") is known before any layer byte moves. Missing layers are fetched by a bounded pool
(Docker's ``max-concurrent-downloads``, 3). On overlayfs each layer is one streaming pass
(``layer_pull.pull_layer``) and layers unpack concurrently; the copying snapshotter needs a
layer's parent unpacked first, so its blobs are downloaded concurrently and unpacked in order.

A transfer that fails on the network (the body cut short, a reset, a timeout, a registry that
cannot be reached) is tried again, as dockerd does (``max-download-attempts``, 5), after
announcing Docker's "Retrying in N seconds"; each try resumes where the last one stopped, with
``Range``, and replays the bytes already here through the unpacking pass. Bad content is never
retried.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from wharf.core.content import ContentStoreProtocol
from wharf.core.digest import Digest
from wharf.core.errors import RemoteFailure
from wharf.core.metadata import LayerRecord
from wharf.core.snapshots import SnapshotterProtocol
from wharf.core.timefmt import rfc3339_nano
from wharf.services.layer_pull import (
    BlobOpener,
    LayerJob,
    TransferInterrupted,
    fetch_blob,
    pull_layer,
    unpack_blob,
)
from wharf.services.progress import ProgressSink, ThrottledProgress, layer_status

__all__ = ["BlobClaims", "LayerFetcher", "Retries"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class Retries:
    """How often a failed transfer is tried (``attempts`` in all) and how long to wait before
    try n+1: ``delay * n`` seconds (dockerd waits 5 s * n; wharf resumes instead of starting
    over, so a shorter wait costs the registry little)."""

    attempts: int = 5
    delay: float = 1.0


class LayerFetcher:
    """Fetches the missing layers of one image into the stores (records are the caller's)."""

    def __init__(self, content: ContentStoreProtocol, snapshots: SnapshotterProtocol,
                 open_blob: BlobOpener, sink: ProgressSink, *, concurrency: int,
                 layer_limit: int, cancelled: threading.Event,
                 slots: threading.Semaphore | None = None,
                 retries: Retries | None = None) -> None:
        self._content = content
        self._retries = retries or Retries()
        self._snapshots = snapshots
        self._open_blob = open_blob
        self._sink = sink
        self._concurrency = max(1, concurrency)
        self._limit = layer_limit
        self._cancelled = cancelled
        self._fetched: set[Digest] = set()  # blobs this pull downloaded (dropped if bad)
        # transfers running in the whole daemon (max-concurrent-downloads is per daemon)
        self._slots = slots or threading.Semaphore(self._concurrency)

    @contextlib.contextmanager
    def _slot(self) -> Iterator[None]:
        while not self._slots.acquire(timeout=0.5):
            self._check_cancelled()
        try:
            self._check_cancelled()
            yield
        finally:
            self._slots.release()

    def fetch(self, jobs: list[LayerJob]) -> dict[str, LayerRecord]:
        """Fetch and unpack ``jobs``; returns their records by chain id. The first failure
        cancels the jobs not started and is raised once the running ones end."""
        for job in jobs:
            self._sink(layer_status(job.blob.short, "Pulling fs layer"))
        for job in jobs[self._concurrency:]:
            self._sink(layer_status(job.blob.short, "Waiting"))
        first: dict[Digest, LayerJob] = {}
        for job in jobs:
            first.setdefault(job.blob, job)
        unique = list(first.values())  # a blob listed twice is fetched once
        if self._snapshots.name == "overlay2":
            done = self._run(unique, self._stream_one)
        else:
            self._run(unique, self._download_one)
            done = {}
        for job in jobs:
            if job.chain_id not in done:
                done[job.chain_id] = self._unpack_stored(job)
        return done

    def _run(self, jobs: list[LayerJob], work: Callable[[LayerJob], LayerRecord | None]
             ) -> dict[str, LayerRecord]:
        done: dict[str, LayerRecord] = {}
        with ThreadPoolExecutor(self._concurrency, thread_name_prefix="pull") as pool:
            futures: list[Future[LayerRecord | None]] = [pool.submit(work, j) for j in jobs]
            first_error: BaseException | None = None
            for future in futures:
                try:
                    record = future.result()
                except BaseException as exc:
                    if first_error is None:
                        first_error = exc
                        self._cancelled.set()
                        for other in futures:
                            other.cancel()
                    continue
                if record is not None:
                    done[record.chain_id] = record
        if first_error is not None:
            raise first_error
        return done

    def _check_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise _Cancelled("pull cancelled")

    def _stream_one(self, job: LayerJob) -> LayerRecord:
        self._check_cancelled()
        if self._content.has(job.blob):  # left by an earlier pull: no need to fetch it
            self._finish_download(job)
            return self._unpack_stored(job)
        progress = ThrottledProgress(self._sink, job.blob.short, "Downloading", job.size)

        def transfer() -> int:
            with self._slot():
                return pull_layer(job, self._content, self._snapshots, self._cancellable(job),
                                  progress.update, self._limit)
        size = self._retrying(job, transfer)
        self._finish_download(job)
        self._sink(layer_status(job.blob.short, "Extracting", job.size, job.size))
        self._sink(layer_status(job.blob.short, "Pull complete"))
        return _record(job, size)

    def _download_one(self, job: LayerJob) -> None:
        self._check_cancelled()
        if not self._content.has(job.blob):
            progress = ThrottledProgress(self._sink, job.blob.short, "Downloading", job.size)

            def transfer() -> None:
                with self._slot():
                    fetch_blob(job, self._content, self._cancellable(job), progress.update)
            self._retrying(job, transfer)
            self._fetched.add(job.blob)
        self._finish_download(job)
        return None

    def _retrying(self, job: LayerJob, transfer: Callable[[], _T]) -> _T:
        attempt = 1
        while True:
            try:
                return transfer()
            except (TransferInterrupted, RemoteFailure):
                if attempt >= self._retries.attempts:
                    raise
            self._wait_to_retry(job, self._retries.delay * attempt)
            attempt += 1

    def _wait_to_retry(self, job: LayerJob, delay: float) -> None:
        """Docker's countdown, a message a second; the pull's cancellation ends the wait."""
        remaining = delay
        while remaining > 0:
            shown = max(1, round(remaining))
            self._sink(layer_status(job.blob.short,
                                    f"Retrying in {shown} second{'s' if shown != 1 else ''}"))
            step = min(1.0, remaining)
            if self._cancelled.wait(step):
                self._check_cancelled()
            remaining -= step

    def _unpack_stored(self, job: LayerJob) -> LayerRecord:
        extracting = ThrottledProgress(self._sink, job.blob.short, "Extracting", job.size)
        size = unpack_blob(job, self._content, self._snapshots, self._limit,
                           fetched=job.blob in self._fetched)
        extracting.update(job.size)
        self._sink(layer_status(job.blob.short, "Pull complete"))
        return _record(job, size)

    def _finish_download(self, job: LayerJob) -> None:
        self._sink(layer_status(job.blob.short, "Verifying Checksum"))
        self._sink(layer_status(job.blob.short, "Download complete"))

    def _cancellable(self, job: LayerJob) -> BlobOpener:
        """The blob opener, its chunks checked against the pull's cancellation."""
        def open_blob(digest: Digest, offset: int) -> tuple[int, Iterator[bytes]]:
            start, chunks = self._open_blob(digest, offset)
            return start, _CancellableChunks(chunks, self._check_cancelled)
        return open_blob


class _CancellableChunks:
    """Chunks that stop with the pull; ``close`` reaches the transfer even unread."""

    def __init__(self, chunks: Iterator[bytes], check: Callable[[], None]) -> None:
        self._chunks = chunks
        self._check = check

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        self._check()
        return next(self._chunks)

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


class BlobClaims:
    """One transfer at a time per blob in this daemon: a second pull of the same blob waits,
    then finds it there. Entries live only while someone holds or waits for them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Digest, tuple[threading.Lock, int]] = {}

    @contextlib.contextmanager
    def claim(self, blobs: list[Digest]) -> Iterator[None]:
        with self._lock:
            locks = []
            for blob in sorted(set(blobs)):  # one order for everyone: no deadlock
                lock, users = self._entries.get(blob, (threading.Lock(), 0))
                self._entries[blob] = (lock, users + 1)
                locks.append((blob, lock))
        held: list[threading.Lock] = []
        try:
            for _, lock in locks:
                lock.acquire()
                held.append(lock)
            yield
        finally:
            for lock in held:
                lock.release()
            with self._lock:
                for blob, lock in locks:
                    users = self._entries[blob][1] - 1
                    if users:
                        self._entries[blob] = (lock, users)
                    else:
                        del self._entries[blob]


class _Cancelled(Exception):
    """Another layer of the pull failed, or the client went away."""


def _record(job: LayerJob, size: int) -> LayerRecord:
    return LayerRecord(job.chain_id, job.diff_id, job.parent or "", size, str(job.blob),
                       job.media_type, rfc3339_nano())
