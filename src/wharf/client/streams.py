"""Docker's multiplexed stream framing (``application/vnd.docker.multiplexed-stream``).

Without a TTY, attach/logs/exec output arrives as frames: an 8-byte header
``[stream, 0, 0, 0, size (uint32 big endian)]`` then ``size`` bytes; stream 0 is stdin (echoed),
1 stdout, 2 stderr, 3 a system error (the payload is the message).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from wharf.lib.stdcopy import (
    HEADER_SIZE,
    STDERR,
    STDIN,
    STDOUT,
    SYSTEMERR,
    FrameDecoder,
    encode_frame,
)

__all__ = ["HEADER_SIZE", "STDERR", "STDIN", "STDOUT", "SYSTEMERR", "Demuxer", "StreamError",
           "copy_demuxed", "demux", "encode_frame"]


class StreamError(Exception):
    """A frame with an unknown stream id, or a system error frame sent by the daemon."""




class Demuxer:
    """Incremental decoder: feed arbitrary byte pieces, get complete ``(stream, payload)``."""

    __slots__ = ("_decoder",)

    def __init__(self) -> None:
        self._decoder = FrameDecoder()

    def feed(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        for stream, payload in self._decoder.feed(data):
            if stream > SYSTEMERR:
                raise StreamError(f"Unrecognized input header: {stream}")
            yield stream, payload

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame still buffered."""
        return self._decoder.pending


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
