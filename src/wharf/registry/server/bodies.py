"""Request bodies read in bounded memory, bounded size and bounded time.

A body larger than its limit is a 413, a body that stops arriving for ``idle_timeout`` seconds
is aborted (the connection is freed), a body shorter than its Content-Length is SIZE_INVALID,
and a connection lost in the middle of a body is BLOB_UPLOAD_INVALID (no traceback: clients do
that).
"""

from __future__ import annotations

import asyncio
from typing import BinaryIO

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from wharf.core.digest import Hasher
from wharf.registry.server.errors import RegistryError

__all__ = ["BodyLimits", "copy_body", "read_body"]


class BodyLimits:
    """How much a body may hold, how long it may stall, and (for bodies read whole) how long
    it may take in all: a client dripping a byte within each idle timeout is still cut."""

    def __init__(
        self, max_size: int, idle_timeout: float, total_timeout: float | None = None
    ) -> None:
        self.max_size = max_size
        self.idle_timeout = idle_timeout
        self.total_timeout = total_timeout


async def copy_body(
    request: web.Request, out: BinaryIO, hasher: Hasher, limits: BodyLimits, already: int = 0
) -> int:
    """Append the body to ``out`` and ``hasher``; the number of bytes it held. ``already`` is
    what the target holds before, counted against ``limits.max_size``."""
    declared = _declared_length(request)
    if declared is not None and already + declared > limits.max_size:
        raise _too_large(limits.max_size)
    total = 0
    while True:
        chunk = await _next_chunk(request, limits.idle_timeout)
        if not chunk:
            break
        total += len(chunk)
        if already + total > limits.max_size:
            raise _too_large(limits.max_size)
        out.write(chunk)
        hasher.update(chunk)
    if declared is not None and total != declared:
        raise RegistryError("SIZE_INVALID", f"body held {total} bytes, Content-Length {declared}")
    return total


async def read_body(request: web.Request, limits: BodyLimits) -> bytes:
    """The whole body (manifests, small JSON), at most ``limits.max_size`` bytes."""
    declared = _declared_length(request)
    if declared is not None and declared > limits.max_size:
        raise _too_large(limits.max_size)
    parts: list[bytes] = []
    total = 0
    loop = asyncio.get_running_loop()
    ends = None if limits.total_timeout is None else loop.time() + limits.total_timeout
    while chunk := await _next_chunk(request, _wait(limits, ends, loop.time())):
        total += len(chunk)
        if total > limits.max_size:
            raise _too_large(limits.max_size)
        parts.append(chunk)
    return b"".join(parts)


def _wait(limits: BodyLimits, ends: float | None, now: float) -> float:
    """How long the next chunk may take: the idle timeout, or less near the total's end."""
    return limits.idle_timeout if ends is None else max(min(limits.idle_timeout, ends - now), 0)


async def _next_chunk(request: web.Request, timeout: float) -> bytes:
    try:
        return await asyncio.wait_for(request.content.readany(), timeout)
    except TimeoutError as exc:
        raise RegistryError(
            "BLOB_UPLOAD_INVALID", "body not received in time (idle or too slow)", status=408
        ) from exc
    except (ConnectionError, HttpProcessingError) as exc:
        raise RegistryError("BLOB_UPLOAD_INVALID", f"body cut short: {exc}") from exc


def _declared_length(request: web.Request) -> int | None:
    if request.content_length is None:
        return None
    if request.content_length < 0:
        raise RegistryError("SIZE_INVALID", "negative Content-Length")
    return request.content_length


def _too_large(limit: int) -> RegistryError:
    return RegistryError("SIZE_INVALID", f"body larger than {limit} bytes", status=413)
