"""A hostile registry's answers end as wharf's typed errors, never as a stray RecursionError,
ValueError or IndexError out of the client: JSON nested past the recursion limit, manifests of
odd shapes, non-ASCII or overlong numbers in headers, realms that are not absolute URLs. And
an insecure registry does not switch TLS verification off for the other hosts it names."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from tests.unit.registry.client.fake_registry import FakeServer, Handler

from wharf.core.digest import Digest
from wharf.core.errors import NotFound, RemoteFailure, Unauthorized
from wharf.core.oci import MEDIA_TYPE_OCI_MANIFEST
from wharf.core.reference import parse_reference
from wharf.registry.client import (
    Credentials,
    Endpoint,
    RegistryClient,
    RegistryConfig,
    operations,
    transport,
)
from wharf.registry.client.transport import Transport
from wharf.registry.client.untrusted import header_int

NESTED = b"[" * 60_000  # within the 64 KiB error-body limit, far past the recursion limit
DIGEST = Digest.from_bytes(b"x")


def _manifest_route(body: bytes, status: int = 200) -> list[tuple[str, str, Handler]]:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=status, body=body, content_type=MEDIA_TYPE_OCI_MANIFEST)

    return [("GET", "/v2/a/b/manifests/{ref}", answer)]


def test_an_error_body_nested_past_the_recursion_limit(client: RegistryClient) -> None:
    with (
        FakeServer(_manifest_route(NESTED, status=404)) as server,
        pytest.raises(NotFound, match=r"manifest for .* not found"),
    ):
        client.fetch_manifest(parse_reference(f"{server.host}/a/b:1"))


def test_a_manifest_nested_past_the_recursion_limit(client: RegistryClient) -> None:
    with (
        FakeServer(_manifest_route(NESTED)) as server,
        pytest.raises(RemoteFailure, match="malformed manifest"),
    ):
        client.fetch_manifest(parse_reference(f"{server.host}/a/b:1"))


@pytest.mark.parametrize("annotations", ["abc", [1], 5])
def test_a_manifest_of_an_odd_shape(client: RegistryClient, annotations: object) -> None:
    document = {
        "schemaVersion": 2,
        "mediaType": MEDIA_TYPE_OCI_MANIFEST,
        "config": {"mediaType": "x", "digest": str(DIGEST), "size": 1},
        "layers": [],
        "annotations": annotations,
    }
    body = json.dumps(document).encode()
    with FakeServer(_manifest_route(body)) as server:
        resolved = client.resolve(parse_reference(f"{server.host}/a/b:1"))
        with pytest.raises(RemoteFailure, match="malformed manifest"):
            resolved.image_manifest  # noqa: B018


def test_a_relative_realm_is_a_clear_failure(client: RegistryClient) -> None:
    async def challenge(request: web.Request) -> web.Response:
        headers = {"WWW-Authenticate": 'Bearer realm="/token",service="s"'}
        return web.Response(status=401, headers=headers)

    with (
        FakeServer([("GET", "/v2/a/b/manifests/{ref}", challenge)]) as server,
        pytest.raises(RemoteFailure, match="invalid realm"),
    ):
        client.fetch_manifest(parse_reference(f"{server.host}/a/b:1"))


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12), (" 7 ", 7), ("\u00b2", None), ("\u0661", None), ("9" * 5000, None), ("", None)],
)
def test_header_numbers_are_ascii_and_bounded(text: str, value: int | None) -> None:
    assert header_int(text) == value


@pytest.fixture
def raw_registry() -> Iterator[str]:
    """A registry answering every request with a Content-Length of a non-ASCII digit."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)

    def serve() -> None:
        for _ in range(4):  # https is tried first on loopback, then plain http
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                connection.recv(65536)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: \xb2\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.shutdown(socket.SHUT_RDWR)  # wakes the accept()
        listener.close()
        thread.join(10)


def test_a_non_ascii_content_length_is_no_crash(client: RegistryClient, raw_registry: str) -> None:
    assert client.blob_size(parse_reference(f"{raw_registry}/a/b"), DIGEST) == 0


def test_hosts_an_insecure_registry_names_are_verified_unless_insecure() -> None:
    transport = Transport(RegistryConfig(insecure_registries=["10.0.0.0/8"]))
    registry = Endpoint("https", "127.0.0.1:5000", verify_tls=False)
    assert not transport.endpoint_for("https://127.0.0.1:5000/token", registry).verify_tls
    assert transport.endpoint_for("https://auth.example.com/token", registry).verify_tls
    assert not transport.endpoint_for("https://10.1.2.3/token", registry).verify_tls
    assert not transport.endpoint_for("https://localhost:9/token", registry).verify_tls
    transport.close()


@pytest.mark.parametrize("token", ["abc\r\nX-Evil: 1", "a b", "caf\u00e9"])
def test_a_token_that_cannot_go_into_a_header_is_refused(
    client: RegistryClient, token: str
) -> None:
    server: FakeServer

    async def issue(request: web.Request) -> web.Response:
        return web.json_response({"token": token, "expires_in": 300})

    async def challenge(request: web.Request) -> web.Response:
        realm = f'Bearer realm="http://{server.host}/token",service="s"'
        return web.Response(status=401, headers={"WWW-Authenticate": realm})

    routes = [("GET", "/token", issue), ("GET", "/v2/a/b/manifests/{ref}", challenge)]
    with FakeServer(routes) as server, pytest.raises(RemoteFailure, match="invalid characters"):
        client.fetch_manifest(parse_reference(f"{server.host}/a/b:1"), Credentials("u", "p"))
    with FakeServer(routes) as server, pytest.raises(Unauthorized, match="invalid characters"):
        client.fetch_manifest(
            parse_reference(f"{server.host}/a/b:1"), Credentials(registry_token=token)
        )


def test_an_endless_tag_list_stops_at_the_total_limit(
    client: RegistryClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(operations, "MAX_TAGS_TOTAL", 1 << 20)
    page = json.dumps({"name": "a/b", "tags": [f"t{i:07d}" for i in range(6000)]}).encode()

    async def tags(request: web.Request) -> web.Response:
        link = '</v2/a/b/tags/list?n=6000&last=x>; rel="next"'
        return web.Response(body=page, content_type="application/json", headers={"Link": link})

    with (
        FakeServer([("GET", "/v2/a/b/tags/list", tags)]) as server,
        pytest.raises(RemoteFailure, match="tag list is larger than"),
    ):
        client.list_tags(parse_reference(f"{server.host}/a/b"))
    assert len(server.requests) <= (1 << 20) // len(page) + 1


def test_a_never_ending_manifest_is_cut_at_the_limit(client: RegistryClient) -> None:
    sent = [0]

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": MEDIA_TYPE_OCI_MANIFEST})
        await response.prepare(request)  # chunked: no Content-Length to refuse up front
        try:
            while sent[0] < 256 << 20:
                await response.write(b" " * (1 << 16))
                sent[0] += 1 << 16
        except ConnectionError:
            pass
        return response

    with (
        FakeServer([("GET", "/v2/a/b/manifests/{ref}", endless)]) as server,
        pytest.raises(RemoteFailure, match="too large"),
    ):
        client.fetch_manifest(parse_reference(f"{server.host}/a/b:1"))
    assert sent[0] < 64 << 20


@pytest.mark.parametrize("host", ["..", "..:443", "."])
def test_a_named_host_cannot_pick_another_certs_directory(tmp_path: Path, host: str) -> None:
    certs = tmp_path / "certs.d"
    (certs / "sub").mkdir(parents=True)
    (tmp_path / "planted.crt").write_text("not a certificate")  # would fail to load
    (certs / "planted.crt").write_text("not a certificate")
    transport = Transport(RegistryConfig(certs_dir=certs / "sub"))
    try:
        transport._pool(Endpoint("https", host))  # loads certs.d/<host>/*.crt when it may
    finally:
        transport.close()


def _dripping(status: int, headers: dict[str, str]) -> Handler:
    """A handler whose body is one space every 0.1 s for 10 s in all: each byte well within
    the read timeout, the whole far past a deadline."""

    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=status, headers=headers)
        await response.prepare(request)
        try:
            for _ in range(100):
                await response.write(b" ")
                await asyncio.sleep(0.1)
        except ConnectionError:
            pass
        return response

    return drip


def test_a_manifest_dripped_a_byte_at_a_time_is_cut_at_the_deadline(
    client: RegistryClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport, "BODY_DEADLINE", 1.0)
    drip = _dripping(200, {"Content-Type": MEDIA_TYPE_OCI_MANIFEST})
    started = time.monotonic()
    with (
        FakeServer([("GET", "/v2/a/b/manifests/{ref}", drip)]) as server,
        pytest.raises(RemoteFailure, match="not received within 1s"),
    ):
        client.fetch_manifest(parse_reference(f"{server.host}/a/b:1"))
    assert time.monotonic() - started < 8


def test_a_dripped_body_nobody_needs_is_dropped_at_the_deadline(
    client: RegistryClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport, "FINISH_DEADLINE", 1.0)
    mounted = _dripping(201, {})  # a body no client reads for its content
    started = time.monotonic()
    with FakeServer([("POST", "/v2/a/b/blobs/uploads/", mounted)]) as server:
        ref = parse_reference(f"{server.host}/a/b")
        assert client.mount_blob(ref, DIGEST, "c/d")
        assert time.monotonic() - started < 8
