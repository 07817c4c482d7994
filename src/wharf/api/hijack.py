"""Hijacked streams (attach, exec start): Docker's raw or multiplexed stream on the socket.

A client that sends ``Connection: Upgrade`` / ``Upgrade: tcp`` gets ``101 UPGRADED`` and then
both directions are raw bytes on the connection; others get ``200`` and the output only.
aiohttp hands the connection over: the status line is written directly to the transport and
the transport gets our own protocol, which (unlike aiohttp's) keeps the socket open after the
client half-closes, so stdin EOF reaches the container while its output still flows back.

Input is back-pressured: at most ``INPUT_HIGH_WATER`` bytes of the client's input wait in the
daemon; past that the socket is not read until the process's side (the shim, which stops
taking input while the container does not read its stdin) has taken them. Input a stream does
not want (no stdin) is read and dropped, so a disconnect is still noticed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import json
import socket
import struct
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import Any

from aiohttp import web

from wharf.api.server import IDENTITY_KEY
from wharf.core.errors import WharfError
from wharf.lib.stdcopy import encode_frame
from wharf.services.protocols import StreamPort

RAW_STREAM = "application/vnd.docker.raw-stream"
MULTIPLEXED_STREAM = "application/vnd.docker.multiplexed-stream"
FRAME_STDOUT, FRAME_STDERR, FRAME_EXIT, FRAME_ERROR = 1, 2, 3, 4
INPUT_HIGH_WATER = 1024 * 1024
INPUT_LOW_WATER = 256 * 1024
SIOCOUTQ = 0x5411  # bytes the peer has not read yet (on a unix socket)
HEAD_READ_WAIT = 0.5  # seconds: at most this long for the client to read the status head
HEAD_READ_POLL = 0.001



def wants_upgrade(request: web.Request) -> bool:
    tokens = {t.strip().lower() for t in request.headers.get("Connection", "").split(",")}
    return "upgrade" in tokens and bool(request.headers.get("Upgrade"))


class _RawProtocol(asyncio.Protocol):
    """Receives the client's bytes after the hand-over; :meth:`read` returns ``None`` at EOF.
    Reading the socket pauses while more than ``INPUT_HIGH_WATER`` bytes wait."""

    def __init__(self, transport: asyncio.Transport, accept_input: bool) -> None:
        self._transport = transport
        self._accept_input = accept_input
        self._incoming: collections.deque[bytes | None] = collections.deque()
        self._buffered = 0
        self._reading_paused = False
        self._arrived = asyncio.Event()
        self.lost = asyncio.Event()
        self._can_write = asyncio.Event()
        self._can_write.set()

    @property
    def buffered(self) -> int:
        return self._buffered

    def _push(self, data: bytes | None) -> None:
        if data is not None:
            if not self._accept_input or not data:
                return
            self._buffered += len(data)
            if self._buffered > INPUT_HIGH_WATER and not self._reading_paused:
                self._reading_paused = True
                with contextlib.suppress(RuntimeError):
                    self._transport.pause_reading()
        self._incoming.append(data)
        self._arrived.set()

    async def read(self) -> bytes | None:
        while not self._incoming:
            self._arrived.clear()
            await self._arrived.wait()
        data = self._incoming.popleft()
        if data is not None:
            self._buffered -= len(data)
            if self._reading_paused and self._buffered <= INPUT_LOW_WATER:
                self._reading_paused = False
                with contextlib.suppress(RuntimeError):
                    self._transport.resume_reading()
        return data

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:  # aiohttp payload-parser protocol
        self._push(data)
        return False, b""

    def feed_eof(self) -> None:
        self._push(None)

    def data_received(self, data: bytes) -> None:
        self._push(data)

    def eof_received(self) -> bool:
        self._push(None)
        return True  # keep the socket open: the client only half-closed

    def connection_lost(self, exc: Exception | None) -> None:
        self._push(None)
        self.lost.set()
        self._can_write.set()

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    async def drain(self) -> None:
        await self._can_write.wait()


class _HijackedResponse(web.StreamResponse):
    """Returned to aiohttp after a hand-over: it must not write anything more."""

    async def prepare(self, request: web.BaseRequest) -> Any:
        return None

    async def write_eof(self, data: bytes = b"") -> None:
        return None


def _status_head(request: web.Request, tty: bool, upgrade: bool) -> bytes:
    content_type = RAW_STREAM if tty else MULTIPLEXED_STREAM
    lines = ["HTTP/1.1 101 UPGRADED" if upgrade else "HTTP/1.1 200 OK",
             f"Content-Type: {content_type}"]
    if upgrade:
        lines += ["Connection: Upgrade", "Upgrade: tcp"]
    else:
        lines += ["Connection: close"]
    lines += [f"{k}: {v}" for k, v in request.app[IDENTITY_KEY].headers().items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def serve_stream(
    request: web.Request, open_stream: Callable[[], Awaitable[StreamPort | None]], *,
    tty: bool, stdin: bool, prelude: AsyncIterable[tuple[int, bytes]] | None = None,
    report_errors: bool = True,
) -> web.StreamResponse:
    """Answer 101 (or 200), hand the connection over, then open the process's stream (which
    may wait, e.g. for the container to start) and pump it both ways until the process ends.
    ``prelude``: frames sent first (attach's logs), written as the client takes them.
    ``report_errors``: write the shim's error frames (an exec that failed) to the client."""
    transport = request.transport
    if transport is None:
        raise ConnectionResetError("the client went away")
    assert isinstance(transport, asyncio.Transport)
    upgrade = wants_upgrade(request)
    raw = _RawProtocol(transport, accept_input=stdin and upgrade)
    if upgrade:
        request.protocol.set_parser(raw)  # type: ignore[arg-type]  # takes any early bytes
    transport.write(_status_head(request, tty, upgrade))
    transport.set_protocol(raw)
    if getattr(request.protocol, "peer_closed_write", False):
        raw.eof_received()  # the client half-closed before the hand-over: its input ends
    else:
        transport.resume_reading()
    stream: StreamPort | None = None
    try:
        await _until_head_read(transport)
        if prelude is not None:
            async for stream_type, payload in prelude:
                if raw.lost.is_set():
                    return _HijackedResponse(status=101 if upgrade else 200)
                transport.write(payload if tty else encode_frame(stream_type, payload))
                await raw.drain()
        try:
            stream = await _unless_lost(raw, open_stream())
        except WharfError as err:  # the status line is out: the error goes in the stream
            if report_errors:
                text = (err.message + "\n").encode()
                transport.write(text if tty else encode_frame(FRAME_STDERR, text))
            raise
        if stream is not None:
            await _pump(transport, raw, stream, tty=tty, stdin=stdin and upgrade,
                        report_errors=report_errors)
    finally:
        if stream is not None:
            stream.close()
        transport.close()
        request.protocol.force_close()
    return _HijackedResponse(status=101 if upgrade else 200)


async def _until_head_read(transport: asyncio.BaseTransport) -> None:
    """Wait (bounded) until a unix-socket client has read the status head. Clients that
    read the head through a buffered reader and the body from the raw socket (docker-py's
    attach and exec) lose body bytes that arrived with the head: logs sent at once
    (``attach?logs=1&stream=0``) came back empty."""
    sock = transport.get_extra_info("socket")
    if sock is None or sock.family != socket.AF_UNIX:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HEAD_READ_WAIT
    while loop.time() < deadline and not transport.is_closing():
        assert isinstance(transport, asyncio.WriteTransport)
        try:
            unread = struct.unpack("i", fcntl.ioctl(sock.fileno(), SIOCOUTQ, b"\0" * 4))[0]
        except OSError:
            return
        if unread == 0 and transport.get_write_buffer_size() == 0:
            return
        await asyncio.sleep(HEAD_READ_POLL)


async def _unless_lost(
    raw: _RawProtocol, opening: Awaitable[StreamPort | None]
) -> StreamPort | None:
    """The stream, or None when the client hung up first."""
    opener = asyncio.ensure_future(opening)
    lost = asyncio.ensure_future(raw.lost.wait())
    try:
        await asyncio.wait({opener, lost}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        lost.cancel()
    if opener.done():
        return opener.result()
    opener.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await opener
    return None


async def _pump(transport: asyncio.BaseTransport, raw: _RawProtocol, stream: StreamPort, *,
                tty: bool, stdin: bool, report_errors: bool) -> None:
    output = asyncio.create_task(_copy_output(transport, raw, stream, tty, report_errors))
    waiters: set[asyncio.Task[Any]] = {output, asyncio.create_task(raw.lost.wait())}
    if stdin:
        waiters.add(asyncio.create_task(_copy_input(raw, stream)))
    try:
        while output in waiters:
            done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            if raw.lost.is_set() or output in done:
                break
            waiters -= done  # stdin finished (EOF delivered): keep sending output
    finally:
        for task in waiters:
            task.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)


async def _copy_output(transport: asyncio.BaseTransport, raw: _RawProtocol, stream: StreamPort,
                       tty: bool, report_errors: bool) -> None:
    assert isinstance(transport, asyncio.WriteTransport)
    while True:
        received = await stream.read_frame()
        if received is None:
            return
        stream_type, payload = received
        if stream_type in (FRAME_STDOUT, FRAME_STDERR):
            if transport.is_closing():
                return
            transport.write(payload if tty else encode_frame(stream_type, payload))
            await raw.drain()
        elif stream_type == FRAME_ERROR:
            if not report_errors:
                return
            message = (_error_text(payload) + "\n").encode()
            transport.write(message if tty else encode_frame(FRAME_STDERR, message))
            return
        elif stream_type == FRAME_EXIT:
            return


def _error_text(payload: bytes) -> str:
    try:
        return str(json.loads(payload).get("message", ""))
    except (ValueError, AttributeError):
        return payload.decode(errors="replace")


async def _copy_input(raw: _RawProtocol, stream: StreamPort) -> None:
    while True:
        data = await raw.read()
        if data is None:
            with contextlib.suppress(OSError):
                await stream.close_stdin()
            return
        try:
            await stream.write(data)
        except OSError:  # the process's input is gone (it ended): its output still flows
            return
