"""Bodies that stall or stop half-way: the connection is freed, the upload keeps what it had,
and the registry keeps serving."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.unit.registry.server.harness import Reg, run

IDLE_TIMEOUT = 0.5


async def _raw_patch(reg: Reg, url: str, declared: int, sent: bytes, *, close: bool) -> bytes:
    host, port = reg.client.host, reg.client.port
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
    try:
        head = f"PATCH {url} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: {declared}\r\n\r\n"
        writer.write(head.encode() + sent)
        await writer.drain()
        if close:
            writer.write_eof()
        return await asyncio.wait_for(reader.read(65536), 10)
    finally:
        writer.close()


def test_a_stalled_body_is_aborted_after_the_idle_timeout(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        url = await reg.start_upload("r")
        started = time.monotonic()
        answer = await _raw_patch(reg, url, 1000, b"x" * 100, close=False)
        assert time.monotonic() - started < 5
        assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
        status = await reg.client.get(url)
        assert status.headers["Range"] == "0-0"  # the partial chunk was not kept
        assert (await reg.client.get("/v2/")).status == 200

    run(tmp_path, scenario, idle_timeout=IDLE_TIMEOUT)


def test_a_body_cut_short_leaves_the_upload_as_it_was(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        url = await reg.start_upload("r")
        assert (await reg.client.patch(url, data=b"kept")).status == 202
        await _raw_patch(reg, url, 1000, b"y" * 100, close=True)
        for _ in range(50):  # the server notices the cut asynchronously
            status = await reg.client.get(url)
            if status.headers["Range"] == "0-3":
                break
            await asyncio.sleep(0.05)
        assert status.headers["Range"] == "0-3"
        assert (tmp_path / "uploads" / url.rsplit("/", 1)[1] / "data").read_bytes() == b"kept"

    run(tmp_path, scenario, idle_timeout=IDLE_TIMEOUT)


def test_a_client_that_stops_reading_a_blob_is_cut_off(tmp_path: Path) -> None:
    data = bytes(range(256)) * (128 * 1024)  # 32 MiB: more than the socket buffers hold

    async def scenario(reg: Reg) -> None:
        digest = await reg.push_blob("r", data)
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(reg.client.host, reg.client.port), 5
        )
        try:
            writer.write(f"GET /v2/r/blobs/{digest} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            await writer.drain()
            await asyncio.sleep(IDLE_TIMEOUT * 4)  # read nothing while the server waits
            received = 0
            try:
                while chunk := await asyncio.wait_for(reader.read(1 << 20), 10):
                    received += len(chunk)
            except ConnectionResetError:
                pass
            assert received < len(data)  # the connection ended before the whole blob
        finally:
            writer.close()
        resp = await reg.client.get(f"/v2/r/blobs/{digest}")
        assert len(await resp.read()) == len(data)  # and the registry still serves

    run(tmp_path, scenario, idle_timeout=IDLE_TIMEOUT)


def test_a_manifest_dripped_within_the_idle_timeout_is_cut_at_the_total(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(reg.client.host, reg.client.port), 5
        )
        try:
            writer.write(
                b"PUT /v2/r/manifests/t HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                b"Content-Type: application/vnd.oci.image.manifest.v1+json\r\n\r\n"
            )
            started = time.monotonic()
            answer = b""
            for _ in range(40):  # a byte every 0.1 s: never idle for IDLE_TIMEOUT
                writer.write(b" ")
                await writer.drain()
                try:
                    answer = await asyncio.wait_for(reader.read(65536), 0.1)
                except TimeoutError:
                    continue
                break
            assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
            assert time.monotonic() - started < 3
        finally:
            writer.close()
        assert (await reg.client.get("/v2/")).status == 200

    run(tmp_path, scenario, idle_timeout=IDLE_TIMEOUT, manifest_timeout=1.0)


def test_requests_past_the_in_flight_limit_get_429_at_once(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        held = []
        for _ in range(2):  # two uploads whose bodies stall: both handlers stay busy
            url = await reg.start_upload("r")
            _, writer = await asyncio.open_connection(reg.client.host, reg.client.port)
            head = f"PATCH {url} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
            writer.write(head.encode() + b"x" * 10)
            await writer.drain()
            held.append(writer)
        await asyncio.sleep(0.2)
        try:
            refused = await reg.client.get("/v2/")
            assert refused.status == 429
            assert (await refused.json())["errors"][0]["code"] == "TOOMANYREQUESTS"
        finally:
            for writer in held:
                writer.close()
        for _ in range(50):  # the server notices the closed connections asynchronously
            if (await reg.client.get("/v2/")).status == 200:
                break
            await asyncio.sleep(0.05)
        assert (await reg.client.get("/v2/")).status == 200

    run(tmp_path, scenario, idle_timeout=30.0, max_in_flight=2)
