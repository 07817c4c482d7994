"""Request bodies are bounded: JSON bodies (compressed or not) by size, uploads by a stall
timeout that frees the worker thread reading them."""

from __future__ import annotations

import asyncio
import threading
import time
import tracemalloc
import zlib
from pathlib import Path
from typing import Any, BinaryIO

from aiohttp.test_utils import TestClient, TestServer
from tests.unit.api.harness import api

from wharf.api.routes import images as image_routes
from wharf.api.server import MAX_JSON_BODY, build_app
from wharf.core.errors import WharfError


def test_a_json_body_past_the_cap_is_413_in_dockers_shape(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with api(tmp_path) as a:
            body = b'{"Image": "busybox", "Env": ["X=' + b"y" * MAX_JSON_BODY + b'"]}'
            resp = await a.client.post("/v1.47/containers/create", data=body,
                                       headers={"Content-Type": "application/json"})
            assert resp.status == 413
            assert "too large" in (await resp.json())["message"]
            ok = await a.client.post("/v1.47/containers/create", json={"Image": "busybox"})
            assert ok.status == 201

    asyncio.run(scenario())


def gzip_bomb(size: int) -> bytes:
    """``size`` bytes of a JSON string, gzip-compressed (about a thousandth of that)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [packer.compress(b'{"Image": "busybox", "Hostname": "')]
    block = b" " * (1 << 20)
    parts += [packer.compress(block) for _ in range(size // len(block))]
    parts.append(packer.compress(b'"}') + packer.flush())
    return b"".join(parts)


def test_a_compressed_body_is_decompressed_only_up_to_the_cap(tmp_path: Path) -> None:
    bomb = gzip_bomb(512 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024

    async def scenario() -> int:
        async with api(tmp_path) as a:
            resp = await a.client.post(
                "/v1.47/containers/create", data=bomb,
                headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
            return resp.status

    tracemalloc.start()
    try:
        status = asyncio.run(scenario())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 413
    assert peak < 64 * 1024 * 1024, f"decompressing held {peak} bytes"  # (aiohttp: 32 MiB steps)


class SlowReadingImages:
    """Stands in for the image service: ``import_tar`` reads its stream to the end."""

    def __init__(self) -> None:
        self.outcome: list[str] = []
        self.finished = threading.Event()

    def import_tar(self, stream: BinaryIO, *_args: Any) -> Any:
        try:
            while stream.read(65536):
                pass
            self.outcome.append("eof")
        except WharfError as err:
            self.outcome.append(err.message)
            raise
        finally:
            self.finished.set()
        raise AssertionError("a stalled upload cannot end")


def test_a_stalled_upload_is_aborted_and_frees_its_thread() -> None:
    images = SlowReadingImages()

    async def scenario() -> None:
        routes = image_routes.routes(images, upload_stall_timeout=0.5)  # type: ignore[arg-type]
        client = TestClient(TestServer(build_app(routes)))
        await client.start_server()
        try:
            host, port = client.server.host, client.server.port
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(b"POST /images/create?fromSrc=- HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/x-tar\r\n"
                         b"Content-Length: 10000000\r\n\r\n" + b"\0" * 1000)
            await writer.drain()  # ... and then nothing more
            started = time.monotonic()
            finished = await asyncio.to_thread(images.finished.wait, 10)
            assert finished and time.monotonic() - started < 5
            head = await asyncio.wait_for(reader.readline(), 5)
            assert b" 400 " in head
            writer.close()
        finally:
            await client.close()

    asyncio.run(scenario())
    assert images.outcome and "nothing received for 0.5 seconds" in images.outcome[0]
