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
    :class:`StalledUpload` after ``stall_timeout`` seconds without a byte."""

    def __init__(self, request: web.Request, loop: asyncio.AbstractEventLoop,
                 stall_timeout: float = UPLOAD_STALL_TIMEOUT) -> None:
        self._content = request.content
        self._loop = loop
        self._stall_timeout = stall_timeout

    async def _read(self, size: int) -> bytes:
        try:
            return await asyncio.wait_for(self._content.read(size), self._stall_timeout)
        except TimeoutError:
            raise StalledUpload(
                f"upload aborted: nothing received for {self._stall_timeout:g} seconds") from None

    def read(self, size: int | None = -1) -> bytes:
        want = READ_CHUNK if size is None or size < 0 else size
        future = asyncio.run_coroutine_threadsafe(self._read(want), self._loop)
        try:  # the loop's own timeout fires first; this one guards a loop that is stuck
            return future.result(timeout=self._stall_timeout + 30)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise StalledUpload("upload aborted: the daemon did not read it in time") from None
