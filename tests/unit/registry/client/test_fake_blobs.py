"""Blob downloads from a scripted registry: Range resume, truncation, timeouts, redirects."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from tests.unit.registry.client.fake_registry import FakeServer, Handler

from wharf.core.digest import Digest
from wharf.core.errors import NotFound, RemoteFailure
from wharf.core.reference import parse_reference
from wharf.registry.client import Credentials, RegistryClient, RegistryConfig

BLOB = bytes(range(256)) * 4096  # 1 MiB
DIGEST = Digest.from_bytes(BLOB)


async def _ranged(request: web.Request) -> web.Response:
    spec = request.headers.get("Range", "")
    if spec.startswith("bytes="):
        start = int(spec[len("bytes=") :].rstrip("-"))
        return web.Response(
            status=206,
            body=BLOB[start:],
            headers={"Content-Range": f"bytes {start}-{len(BLOB) - 1}/{len(BLOB)}"},
        )
    return web.Response(body=BLOB)


async def _whole(request: web.Request) -> web.Response:
    return web.Response(body=BLOB)


def _route(handler: Handler) -> list[tuple[str, str, Handler]]:
    return [("GET", "/v2/a/b/blobs/{digest}", handler)]


def test_range_resume_starts_at_the_offset(client: RegistryClient) -> None:
    with FakeServer(_route(_ranged)) as server:
        ref = parse_reference(f"{server.host}/a/b")
        with client.open_blob(ref, DIGEST, offset=1000, size=len(BLOB)) as stream:
            assert stream.offset == 1000
            assert b"".join(stream) == BLOB[1000:]
        assert server.requests[-1][2]["Range"] == "bytes=1000-"


def test_a_registry_ignoring_range_restarts_the_blob(client: RegistryClient) -> None:
    with FakeServer(_route(_whole)) as server:
        ref = parse_reference(f"{server.host}/a/b")
        with client.open_blob(ref, DIGEST, offset=1000, size=len(BLOB)) as stream:
            assert stream.offset == 0
            assert b"".join(stream) == BLOB


def test_a_wrong_content_range_asks_again_for_the_whole_blob(client: RegistryClient) -> None:
    async def wrong_range(request: web.Request) -> web.Response:
        if "Range" in request.headers:
            return web.Response(
                status=206,
                body=BLOB[5:],
                headers={"Content-Range": f"bytes 5-{len(BLOB) - 1}/{len(BLOB)}"},
            )
        return web.Response(body=BLOB)

    with FakeServer(_route(wrong_range)) as server:
        ref = parse_reference(f"{server.host}/a/b")
        with client.open_blob(ref, DIGEST, offset=1000, size=len(BLOB)) as stream:
            assert stream.offset == 0
            assert b"".join(stream) == BLOB
        assert "Range" not in server.requests[-1][2]


def _read_through(client: RegistryClient, server: FakeServer, error: str) -> None:
    """Reading the whole blob from ``server`` fails with a RemoteFailure matching ``error``."""
    ref = parse_reference(f"{server.host}/a/b")
    with (
        pytest.raises(RemoteFailure, match=error),
        client.open_blob(ref, DIGEST, size=len(BLOB)) as stream,
    ):
        for _ in stream:
            pass


def test_a_truncated_body_fails_the_read(client: RegistryClient) -> None:
    async def truncated(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": str(len(BLOB))})
        await response.prepare(request)
        await response.write(BLOB[: len(BLOB) // 2])
        assert request.transport is not None
        request.transport.close()
        return response

    with FakeServer(_route(truncated)) as server:
        _read_through(client, server, "EOF")


def test_a_size_other_than_the_descriptors_is_refused(client: RegistryClient) -> None:
    with FakeServer(_route(_whole)) as server, pytest.raises(RemoteFailure, match="expected 10"):
        client.open_blob(parse_reference(f"{server.host}/a/b"), DIGEST, size=10)


def test_a_stalled_body_times_out() -> None:
    async def stall(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": str(len(BLOB))})
        await response.prepare(request)
        await response.write(BLOB[:1000])
        await asyncio.sleep(30)
        return response

    slow = RegistryClient(RegistryConfig(read_timeout=0.5))
    try:
        with FakeServer(_route(stall)) as server:
            _read_through(slow, server, "timeout")
    finally:
        slow.close()


def test_missing_blob_is_not_found(client: RegistryClient) -> None:
    with FakeServer([]) as server, pytest.raises(NotFound):
        client.open_blob(parse_reference(f"{server.host}/a/b"), DIGEST)


def test_redirects_are_followed_without_the_credentials(client: RegistryClient) -> None:
    storage: FakeServer

    async def redirect(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") is None:
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        raise web.HTTPTemporaryRedirect(f"http://{storage.host}/data/blob?sig=1")

    with (
        FakeServer([("GET", "/data/blob", _whole)]) as storage,
        FakeServer(_route(redirect)) as server,
    ):
        ref = parse_reference(f"{server.host}/a/b")
        with client.open_blob(ref, DIGEST, Credentials("u", "p"), size=len(BLOB)) as stream:
            assert b"".join(stream) == BLOB
        assert storage.paths() == ["/data/blob?sig=1"]
        assert "Authorization" not in storage.requests[0][2]


def test_fetch_blob_verifies_the_digest(client: RegistryClient) -> None:
    with FakeServer(_route(_whole)) as server:
        ref = parse_reference(f"{server.host}/a/b")
        assert client.fetch_blob(ref, DIGEST, limit=len(BLOB)) == BLOB
        with pytest.raises(RemoteFailure, match="digest mismatch"):
            client.fetch_blob(ref, Digest.from_bytes(b"other"), limit=len(BLOB))
        with pytest.raises(RemoteFailure, match="too large"):
            client.fetch_blob(ref, DIGEST, limit=100)
