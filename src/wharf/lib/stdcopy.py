"""Docker's multiplexed stream framing (``application/vnd.docker.multiplexed-stream``).

Each frame is an 8-byte header ``[stream, 0, 0, 0, size (uint32, big endian)]`` and ``size``
bytes of payload. Docker's streams are 0 stdin, 1 stdout, 2 stderr, 3 a system error; the shim's
own protocol adds 3 exit and 4 error on the same header. The one home of the format for the
API's hijacked streams, the CLI's demultiplexer and the shim's frames.
"""

from __future__ import annotations

import struct
from typing import Final

__all__ = ["HEADER_SIZE", "MAX_FRAME", "STDERR", "STDIN", "STDOUT", "SYSTEMERR", "FrameDecoder",
           "encode_frame"]

HEADER: Final = struct.Struct(">BxxxI")
HEADER_SIZE: Final = HEADER.size
STDIN, STDOUT, STDERR, SYSTEMERR = 0, 1, 2, 3
MAX_FRAME: Final = 16 * 1024 * 1024  # what a peer can make a decoder buffer


def encode_frame(stream: int, payload: bytes) -> bytes:
    """One frame: the header, then the payload."""
    return HEADER.pack(stream, len(payload)) + payload


class FrameDecoder:
    """Incremental decoder: feed arbitrary byte pieces, take whole ``(stream, payload)`` frames.

    A frame larger than ``max_frame`` raises ValueError instead of being buffered."""

    __slots__ = ("_buffer", "_max_frame")

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self._buffer = bytearray()
        self._max_frame = max_frame

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._buffer += data
        frames: list[tuple[int, bytes]] = []
        while len(self._buffer) >= HEADER_SIZE:
            stream, size = HEADER.unpack_from(self._buffer)
            if size > self._max_frame:
                raise ValueError(f"frame of {size} bytes is too large")
            if len(self._buffer) < HEADER_SIZE + size:
                break
            frames.append((stream, bytes(self._buffer[HEADER_SIZE:HEADER_SIZE + size])))
            del self._buffer[:HEADER_SIZE + size]
        return frames

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame held back."""
        return len(self._buffer)
