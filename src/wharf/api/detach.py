"""Detach keys on attached TTY sessions (attach, websocket attach, exec start), detected by
the daemon as dockerd does: the client that types the sequence is detached (its stream ends),
the process keeps running with its stdin open.

``detach_keys`` reads and checks the spec a request names (400 when Docker would refuse it);
``DetachableStream`` wraps a process's stream so that its input is watched for the sequence.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from wharf.core.detachkeys import DEFAULT_DETACH_KEYS, EscapeDetector, parse_detach_keys
from wharf.core.errors import InvalidParameter
from wharf.services.protocols import StreamPort


def detach_keys(spec: str, what: str = "detach") -> bytes:
    """The bytes of ``spec`` (the default sequence when empty); 400 with Docker's wording."""
    try:
        return parse_detach_keys(spec or DEFAULT_DETACH_KEYS)
    except ValueError:
        raise InvalidParameter(f"Invalid {what} keys ({spec}) provided") from None


class DetachableStream:
    """``stream`` whose input is watched for ``keys``: on the sequence the output ends (so
    the session ends) and ``on_detach`` runs; the process's stdin stays open. A read in
    flight outlives a detach (it is cancelled only by ``close``)."""

    def __init__(self, stream: StreamPort, keys: bytes,
                 on_detach: Callable[[], None] | None = None) -> None:
        self._stream = stream
        self._detector = EscapeDetector(keys)
        self._on_detach = on_detach
        self.detached = asyncio.Event()
        self._detaching: asyncio.Task[Any] | None = None
        self._reading: asyncio.Task[tuple[int, bytes] | None] | None = None

    async def read_frame(self) -> tuple[int, bytes] | None:
        if self.detached.is_set():
            return None
        if self._detaching is None:
            self._detaching = asyncio.ensure_future(self.detached.wait())
        if self._reading is None:
            self._reading = asyncio.ensure_future(self._stream.read_frame())
        reading = self._reading
        await asyncio.wait({reading, self._detaching}, return_when=asyncio.FIRST_COMPLETED)
        if not reading.done():
            return None  # detached
        self._reading = None
        return reading.result()

    async def write(self, data: bytes) -> None:
        forward = self._detector.feed(data)
        if forward:
            await self._stream.write(forward)
        if self._detector.detached and not self.detached.is_set():
            self.detached.set()
            if self._on_detach is not None:
                self._on_detach()

    async def close_stdin(self) -> None:
        if self.detached.is_set():
            return  # the user detached: the process keeps its input
        held = self._detector.flush()
        if held:
            await self._stream.write(held)
        await self._stream.close_stdin()

    def close(self) -> None:
        if self._detaching is not None:
            self._detaching.cancel()
        if self._reading is not None:
            self._reading.cancel()
        self._stream.close()


def watched(stream: StreamPort | None, keys: bytes, *, tty: bool, stdin: bool,
            on_detach: Callable[[], None] | None = None) -> StreamPort | None:
    """``stream`` with its input watched for the detach keys, when that applies: dockerd
    watches only TTY sessions with stdin (other input is passed through untouched)."""
    if stream is None or not (tty and stdin and keys):
        return stream
    return DetachableStream(stream, keys, on_detach)
