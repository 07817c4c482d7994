"""Docker's multiplexed stream framing (``application/vnd.docker.multiplexed-stream``).

Without a TTY, attach/logs/exec output arrives as frames: an 8-byte header
``[stream, 0, 0, 0, size (uint32 big endian)]`` then ``size`` bytes; stream 0 is stdin (echoed),
1 stdout, 2 stderr, 3 a system error (the payload is the message).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator

HEADER_SIZE = 8
STDIN, STDOUT, STDERR, SYSTEMERR = 0, 1, 2, 3


class StreamError(Exception):
    """A frame with an unknown stream id, or a system error frame sent by the daemon."""


def encode_frame(stream: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(payload)) + payload


class Demuxer:
    """Incremental decoder: feed arbitrary byte pieces, get complete ``(stream, payload)``."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        self._buffer += data
        while len(self._buffer) >= HEADER_SIZE:
            stream = self._buffer[0]
            (size,) = struct.unpack_from(">L", self._buffer, 4)
            if len(self._buffer) < HEADER_SIZE + size:
                return
            payload = bytes(self._buffer[HEADER_SIZE:HEADER_SIZE + size])
            del self._buffer[:HEADER_SIZE + size]
            if stream > SYSTEMERR:
                raise StreamError(f"Unrecognized input header: {stream}")
            yield stream, payload

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame still buffered."""
        return len(self._buffer)


def demux(pieces: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    demuxer = Demuxer()
    for piece in pieces:
        yield from demuxer.feed(piece)


def copy_demuxed(pieces: Iterable[bytes], stdout: Callable[[bytes], object],
                 stderr: Callable[[bytes], object]) -> None:
    """Write stdout/stderr frames to the given sinks (stdin echoes go to stdout like docker)."""
    for stream, payload in demux(pieces):
        if stream == SYSTEMERR:
            raise StreamError(payload.decode("utf-8", "replace"))
        (stderr if stream == STDERR else stdout)(payload)
