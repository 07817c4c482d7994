"""Request bodies that services read as files, from worker threads (image load and import).

An upload is a stream without a size cap (images are big), but not without an end: a client
that sends nothing for ``UPLOAD_STALL_TIMEOUT`` seconds has its upload aborted, which frees the
worker thread reading it (a stalled client must not pin the daemon's threads).
"""

from __future__ import annotations

import asyncio
import concurrent.futures

from aiohttp import web

from wharf.core.errors import InvalidParameter

__all__ = ["UPLOAD_STALL_TIMEOUT", "StalledUpload", "UploadReader"]

UPLOAD_STALL_TIMEOUT = 60.0
READ_CHUNK = 1 << 20


class StalledUpload(InvalidParameter):
    """The client stopped sending its upload."""


class UploadReader:
    """A blocking ``read`` over the request body, for a worker thread; raises
    :class:`StalledUpload` after ``stall_timeout`` seconds without a byte.

    Each trip to the event loop takes what the body has buffered (waiting only for the first
    bytes), up to ``READ_CHUNK``, and smaller reads are served from that: a worker that reads
    in small pieces (tarfile's stream reads 64 KiB) costs a thread hand-over per buffer, not
    per piece."""

    def __init__(self, request: web.Request, loop: asyncio.AbstractEventLoop,
                 stall_timeout: float = UPLOAD_STALL_TIMEOUT) -> None:
        self._content = request.content
        self._loop = loop
        self._stall_timeout = stall_timeout
        self._buffer = memoryview(b"")

    async def _available(self) -> bytes:
        try:
            first = await asyncio.wait_for(self._content.read(READ_CHUNK), self._stall_timeout)
        except TimeoutError:
            raise StalledUpload(
                f"upload aborted: nothing received for {self._stall_timeout:g} seconds") from None
        chunks = [first]
        have = len(first)
        while first and have < READ_CHUNK:
            more = self._content.read_nowait(READ_CHUNK - have)
            if not more:
                break
            chunks.append(more)
            have += len(more)
        return first if len(chunks) == 1 else b"".join(chunks)

    def read(self, size: int | None = -1) -> bytes:
        if not self._buffer:
            self._buffer = memoryview(self._fetch())
        want = len(self._buffer) if size is None or size < 0 else size
        data, self._buffer = self._buffer[:want], self._buffer[want:]
        return bytes(data)

    def _fetch(self) -> bytes:
        future = asyncio.run_coroutine_threadsafe(self._available(), self._loop)
        try:  # the loop's own timeout fires first; this one guards a loop that is stuck
            return future.result(timeout=self._stall_timeout + 30)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise StalledUpload("upload aborted: the daemon did not read it in time") from None
