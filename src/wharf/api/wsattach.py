"""``GET /containers/{id}/attach/ws``: a container's stdio over a websocket, as dockerd serves
it: its output as binary frames of raw bytes (stdout and stderr alike, never multiplexed),
the client's binary or text frames as its stdin; the log first with ``logs=1``, the live
stream with ``stream=1``. The socket closes (1000) when the output ends, the client detaches
with the detach keys, or (without ``stream``) once the log is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import Any

from aiohttp import WSMsgType, web

from wharf.services.protocols import StreamPort

FRAME_STDOUT, FRAME_STDERR = 1, 2


async def serve_websocket(request: web.Request,
                          open_stream: Callable[[], Awaitable[StreamPort | None]], *,
                          prelude: AsyncIterable[tuple[int, bytes]],
                          stdin: bool) -> web.WebSocketResponse:
    """Accept the websocket, send ``prelude``, then pump the stream ``open_stream`` gives
    (None: nothing more) both ways until it ends or the client leaves."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    stream: StreamPort | None = None
    try:
        async for _, chunk in prelude:
            await ws.send_bytes(chunk)
        stream = await open_stream()
        if stream is not None:
            await _pump(ws, stream, stdin)
    finally:
        if stream is not None:
            stream.close()
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.close()
    return ws


async def _pump(ws: web.WebSocketResponse, stream: StreamPort, stdin: bool) -> None:
    output = asyncio.create_task(_copy_output(ws, stream))
    incoming = asyncio.create_task(_copy_input(ws, stream if stdin else None))
    tasks: set[asyncio.Task[Any]] = {output, incoming}
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _copy_output(ws: web.WebSocketResponse, stream: StreamPort) -> None:
    while (frame := await stream.read_frame()) is not None:
        kind, payload = frame
        if kind not in (FRAME_STDOUT, FRAME_STDERR):
            return  # the exit (or an error): the stream is over
        await ws.send_bytes(payload)


async def _copy_input(ws: web.WebSocketResponse, stream: StreamPort | None) -> None:
    """The client's frames into the process's stdin (dropped when stdin is not attached);
    returns when the client closes."""
    async for message in ws:
        if stream is None:
            continue
        if message.type == WSMsgType.BINARY:
            await stream.write(message.data)
        elif message.type == WSMsgType.TEXT:
            await stream.write(message.data.encode())
    if stream is not None:
        with contextlib.suppress(OSError):
            await stream.close_stdin()
