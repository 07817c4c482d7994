"""A client that opens a connection and trickles header bytes (slowloris), or sends nothing,
is disconnected after the idle timeout instead of holding a socket for an hour."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from aiohttp import web

from wharf.registry.server.main import make_runner
from wharf.registry.server.state import Registry

IDLE = 0.6


async def _serve(root: Path) -> tuple[web.AppRunner, int]:
    runner = make_runner(Registry.open(root), None, idle_timeout=IDLE)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, runner.addresses[0][1]


async def _closed_after(port: int, trickle: bytes) -> float:
    """Seconds until the server closes a connection that sends ``trickle`` a byte at a time."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    started = time.monotonic()
    try:
        for byte in trickle:
            writer.write(bytes([byte]))
            await writer.drain()
            try:
                if await asyncio.wait_for(reader.read(1), 0.1) == b"":
                    return time.monotonic() - started
            except TimeoutError:
                pass
        await asyncio.wait_for(reader.read(), 10)
        return time.monotonic() - started
    except ConnectionError:
        return time.monotonic() - started
    finally:
        writer.close()


def test_slow_headers_and_silent_connections_are_closed(tmp_path: Path) -> None:
    async def scenario() -> None:
        runner, port = await _serve(tmp_path)
        try:
            slow = b"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
            assert await _closed_after(port, slow) < IDLE + 3
            assert await _closed_after(port, b"") < IDLE + 3
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n")  # an honest client still works
            assert (await asyncio.wait_for(reader.readline(), 5)).startswith(b"HTTP/1.1 200")
            writer.close()
        finally:
            await runner.cleanup()

    asyncio.run(scenario())
