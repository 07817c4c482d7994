"""A minimal HTTP/1.1 client over an already connected socket.

``http.client`` pulls in the ``email`` package (~60 ms of imports), which would blow the CLI's
start-up budget; the Engine API needs only a small part of HTTP/1.1: one request at a time per
connection, ``Content-Length`` or chunked bodies, keep-alive, and the ``101`` upgrade that turns a
connection into a raw bidirectional stream (attach, exec).
"""

from __future__ import annotations

import _socket
import io
from collections.abc import Iterator

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

MAX_HEADER_LINE = 65536
MAX_HEADERS = 200
READ_SIZE = 65536


class ProtocolError(Exception):
    """The peer did not speak HTTP/1.1 as expected."""


class Response:
    """A response whose body is read lazily from ``reader``.

    (Plain slotted classes rather than dataclasses on the CLI's start-up path: ``dataclasses``
    imports ``inspect``, ~10 ms.)
    """

    __slots__ = ("_chunk_left", "_chunked", "_done", "_remaining", "headers", "reader",
                 "reason", "status")

    def __init__(self, status: int, reason: str, headers: dict[str, str],
                 reader: BinaryIO) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.reader = reader
        self._remaining: int | None = None  # bytes left; None = chunked or until EOF
        self._chunked = False
        self._done = False
        self._chunk_left = 0

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    @property
    def done(self) -> bool:
        return self._done

    def read(self) -> bytes:
        """The whole (rest of the) body."""
        return b"".join(self.iter_raw())

    def iter_raw(self) -> Iterator[bytes]:
        """Body bytes as they arrive (chunk boundaries are not preserved)."""
        while True:
            data = self.read_some()
            if not data:
                return
            yield data

    def read_some(self, size: int = READ_SIZE) -> bytes:
        """Up to ``size`` body bytes; ``b""`` at the end of the body."""
        if self._done:
            return b""
        if self._chunked:
            return self._read_chunked(size)
        if self._remaining is None:
            data = _read1(self.reader, size)
            if not data:
                self._done = True
            return data
        if self._remaining == 0:
            self._done = True
            return b""
        data = _read1(self.reader, min(size, self._remaining))
        if not data:
            raise ProtocolError("connection closed before the end of the body")
        self._remaining -= len(data)
        if self._remaining == 0:
            self._done = True
        return data

    def iter_lines(self) -> Iterator[bytes]:
        """Body split on newlines (JSON-lines streams such as events and progress)."""
        pending = b""
        for data in self.iter_raw():
            pending += data
            *lines, pending = pending.split(b"\n")
            yield from (line for line in lines if line.strip())
        if pending.strip():
            yield pending

    def _read_chunked(self, size: int) -> bytes:
        if self._chunk_left == 0:
            line = self.reader.readline(MAX_HEADER_LINE)
            if not line:
                raise ProtocolError("connection closed inside a chunked body")
            try:
                self._chunk_left = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError as exc:
                raise ProtocolError(f"bad chunk size line {line!r}") from exc
            if self._chunk_left == 0:
                _skip_trailers(self.reader)
                self._done = True
                return b""
        data = _read1(self.reader, min(size, self._chunk_left))
        if not data:
            raise ProtocolError("connection closed inside a chunk")
        self._chunk_left -= len(data)
        if self._chunk_left == 0:
            self.reader.readline(MAX_HEADER_LINE)  # the CRLF after the chunk data
        return data


def _read1(reader: BinaryIO, size: int) -> bytes:
    """Whatever is available, at most ``size`` bytes, blocking only until something arrives."""
    read1 = getattr(reader, "read1", None)
    if read1 is not None:
        data: bytes = read1(size)
        return data
    return reader.read(size)


def _skip_trailers(reader: BinaryIO) -> None:
    for _ in range(MAX_HEADERS):
        line = reader.readline(MAX_HEADER_LINE)
        if line in (b"\r\n", b"\n", b""):
            return
    raise ProtocolError("too many trailer lines")


def encode_request(method: str, target: str, host: str, headers: dict[str, str],
                   body: bytes | None, chunked: bool = False) -> bytes:
    """The request line and headers (and the body when it is given as bytes)."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    elif body is not None or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body or b'')}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + (body or b"")


def encode_chunk(data: bytes) -> bytes:
    """One chunk of a chunked request body; ``b""`` makes the terminating chunk."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def read_response_head(reader: BinaryIO, method: str) -> Response:
    """Parse the status line and headers; the body stays in ``reader``."""
    status_line = reader.readline(MAX_HEADER_LINE)
    if not status_line:
        raise ProtocolError("connection closed before a response")
    parts = status_line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise ProtocolError(f"bad status line {status_line!r}")
    try:
        status = int(parts[1])
    except ValueError as exc:
        raise ProtocolError(f"bad status line {status_line!r}") from exc
    headers = _read_headers(reader)
    response = Response(status, parts[2] if len(parts) > 2 else "", headers, reader)
    _frame_body(response, method)
    return response


def _read_headers(reader: BinaryIO) -> dict[str, str]:
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS):
        line = reader.readline(MAX_HEADER_LINE)
        if line in (b"\r\n", b"\n"):
            return headers
        if not line:
            raise ProtocolError("connection closed inside the response headers")
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep:
            raise ProtocolError(f"bad header line {line!r}")
        headers[name.strip().lower()] = value.strip()
    raise ProtocolError("too many response headers")


def _frame_body(response: Response, method: str) -> None:
    if method == "HEAD" or response.status in (101, 204, 304) or 100 <= response.status < 200:
        response._remaining = 0
        response._done = response.status != 101
        if response.status == 101:
            response._remaining = None  # the raw stream follows
        return
    if "chunked" in response.header("transfer-encoding").lower():
        response._chunked = True
        return
    length = response.header("content-length")
    if length:
        try:
            response._remaining = int(length)
        except ValueError as exc:
            raise ProtocolError(f"bad Content-Length {length!r}") from exc
        response._done = response._remaining == 0


def keeps_alive(response: Response) -> bool:
    """True when the connection can carry another request after this response."""
    if response.status == 101 or not response.done:
        return False
    return response.header("connection").lower() != "close"


class _SocketRaw(io.RawIOBase):
    """Raw reads from a socket (``socket.makefile`` without importing ``socket``)."""

    def __init__(self, sock: _socket.socket) -> None:
        super().__init__()
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return self._sock.recv_into(buffer)


def buffered_reader(sock: _socket.socket) -> BinaryIO:
    """A buffered binary reader on ``sock``; closing it leaves the socket open."""
    return io.BufferedReader(_SocketRaw(sock), READ_SIZE)  # type: ignore[return-value]


def half_close(sock: _socket.socket) -> None:
    """Tell the peer we will send nothing more (stdin ended), keeping the read side open."""
    try:
        sock.shutdown(_socket.SHUT_WR)
    except OSError:  # already closed by the peer: nothing left to tell it
        return
