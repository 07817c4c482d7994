"""Sending a blob (or a manifest's bytes): one byte range (``Range: bytes=a-b``, ``a-``,
``-n``) or the whole file, written in chunks with a timeout on each write, so a client that
stops reading frees the connection instead of holding it forever (the upload side has the same
bound)."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

__all__ = ["ByteRange", "parse_range", "send_bytes", "send_file"]

log = logging.getLogger("wharf.registry.server")

CHUNK = 1 << 20
_RANGE_RE = re.compile(r"bytes=([0-9]{0,18})-([0-9]{0,18})")  # ASCII, int()-safe


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class RangeNotSatisfiable(Exception):
    """The Range names no byte of the file."""


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one range ``header`` asks for, clipped to ``size``; None for the whole file (no
    header, several ranges or a unit other than bytes: RFC 9110 lets a server ignore those)."""
    if header is None:
        return None
    match = _RANGE_RE.fullmatch(header.strip())
    if match is None or (not match[1] and not match[2]):
        return None
    if not match[1]:  # the last n bytes
        suffix = int(match[2])
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return ByteRange(max(size - suffix, 0), size - 1)
    start = int(match[1])
    end = min(int(match[2]), size - 1) if match[2] else size - 1
    if start >= size or (match[2] and int(match[2]) < start):
        raise RangeNotSatisfiable
    return ByteRange(start, end)


async def send_file(
    request: web.Request, path: Path, headers: dict[str, str], write_timeout: float
) -> web.StreamResponse:
    """GET of ``path``: 200, 206 for a satisfiable range, 416 with ``bytes */size`` otherwise."""
    size = path.stat().st_size
    if_range = request.headers.get("If-Range")
    try:
        wanted = None
        if if_range is None or if_range == headers.get("Etag"):
            wanted = parse_range(request.headers.get("Range"), size)
    except RangeNotSatisfiable:
        return web.Response(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    response = web.StreamResponse(status=200 if wanted is None else 206, headers=headers)
    part = wanted or ByteRange(0, size - 1)
    response.content_length = max(part.length, 0)
    response.headers["Accept-Ranges"] = "bytes"
    if wanted is not None:
        response.headers["Content-Range"] = f"bytes {part.start}-{part.end}/{size}"
    await response.prepare(request)
    try:
        await _write_part(response, path, part, write_timeout)
    except (TimeoutError, ConnectionError) as exc:
        log.info("%s %s: client stopped reading (%s)", request.method, request.path, exc)
        if request.transport is not None:
            request.transport.abort()
    return response


async def _write_part(
    response: web.StreamResponse, path: Path, part: ByteRange, write_timeout: float
) -> None:
    with path.open("rb") as file:
        file.seek(part.start)
        left = max(part.length, 0)
        while left > 0:
            chunk = file.read(min(CHUNK, left))
            if not chunk:
                raise ConnectionError("blob file shorter than it was")  # never for a blob
            left -= len(chunk)
            await asyncio.wait_for(response.write(chunk), write_timeout)
    await asyncio.wait_for(response.write_eof(), write_timeout)


async def send_bytes(
    request: web.Request, body: bytes, headers: dict[str, str], write_timeout: float
) -> web.StreamResponse:
    """A 200 with ``body`` (a manifest: up to 4 MiB), under the same write timeout."""
    response = web.StreamResponse(status=200, headers=headers)
    response.content_length = len(body)
    await response.prepare(request)
    try:
        await asyncio.wait_for(response.write(body), write_timeout)
        await asyncio.wait_for(response.write_eof(), write_timeout)
    except (TimeoutError, ConnectionError) as exc:
        log.info("%s %s: client stopped reading (%s)", request.method, request.path, exc)
        if request.transport is not None:
            request.transport.abort()
    return response
