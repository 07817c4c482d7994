"""Credentials go to the registry (and the token realm it names), never to a host that one of
its responses points at: a ``Link`` page, an upload ``Location``, or a redirect target that
answers 401 with a realm of its own."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import pytest
from aiohttp import web
from tests.unit.registry.client.fake_registry import FakeServer, Handler, basic_guard, oci_error

from wharf.core.digest import Digest
from wharf.core.errors import WharfError
from wharf.core.oci import MEDIA_TYPE_OCI_MANIFEST
from wharf.core.reference import parse_reference
from wharf.registry.client import Credentials, Endpoint, RegistryClient, RegistryConfig
from wharf.registry.client.session import same_origin

CREDS = Credentials("ann", "secret")
EXPECTED = "Basic YW5uOnNlY3JldA=="  # ann:secret
BLOB = b"blob-bytes" * 100
DIGEST = Digest.from_bytes(BLOB)


def _basic(inner: Handler) -> Handler:
    return basic_guard("ann", "secret", inner)


def _authorizations(server: FakeServer) -> list[str]:
    return [headers.get("Authorization", "") for _, _, headers in server.requests]


async def _tags_page_two(request: web.Request) -> web.Response:
    return web.json_response({"name": "a/b", "tags": ["two"]})


def _bearer_elsewhere(realm: FakeServer) -> Handler:
    # what a hostile storage host answers to learn the registry's credentials
    async def answer(request: web.Request) -> web.Response:
        challenge = f'Bearer realm="http://{realm.host}/token",service="evil"'
        headers = {"WWW-Authenticate": challenge}
        return oci_error(401, "UNAUTHORIZED", "authentication required", **headers)

    return answer


async def _token(request: web.Request) -> web.Response:
    return web.json_response({"token": "t", "expires_in": 300})


def test_a_link_to_another_host_gets_no_credentials(client: RegistryClient) -> None:
    other: FakeServer

    async def page_one(request: web.Request) -> web.Response:
        link = f'<http://{other.host}/v2/a/b/tags/list?last=one>; rel="next"'
        return web.json_response({"name": "a/b", "tags": ["one"]}, headers={"Link": link})

    with (
        FakeServer([("GET", "/v2/a/b/tags/list", _tags_page_two)]) as other,
        FakeServer([("GET", "/v2/a/b/tags/list", _basic(page_one))]) as server,
    ):
        tags = client.list_tags(parse_reference(f"{server.host}/a/b"), CREDS)
        assert tags == ["one", "two"]
        assert EXPECTED in _authorizations(server)
        assert _authorizations(other) == [""]


def test_an_upload_location_on_another_host_gets_no_credentials(client: RegistryClient) -> None:
    other: FakeServer

    async def start(request: web.Request) -> web.Response:
        location = f"http://{other.host}/v2/a/b/blobs/uploads/u1"
        return web.Response(status=202, headers={"Location": location})

    async def put(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=201)

    with (
        FakeServer([("PUT", "/v2/a/b/blobs/uploads/u1", put)]) as other,
        FakeServer([("POST", "/v2/a/b/blobs/uploads/", _basic(start))]) as server,
    ):
        ref = parse_reference(f"{server.host}/a/b")
        client.upload_blob(ref, DIGEST, len(BLOB), io.BytesIO(BLOB), CREDS)
        assert [p.split("?")[0] for p in other.paths("PUT")] == ["/v2/a/b/blobs/uploads/u1"]
        assert _authorizations(other) == [""]


@contextlib.contextmanager
def _redirected(
    source_path: str, storage_path: str
) -> Iterator[tuple[FakeServer, FakeServer, FakeServer]]:
    """(realm, storage, server): ``server`` redirects ``source_path`` to ``storage_path`` on
    another host, which asks for a Bearer token from a third host, ``realm``."""
    storage: FakeServer

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(f"http://{storage.host}{storage_path}")

    with (
        FakeServer([("GET", "/token", _token)]) as realm,
        FakeServer([("GET", storage_path, _bearer_elsewhere(realm))]) as storage,
        FakeServer([("GET", source_path, redirect)]) as server,
    ):
        yield realm, storage, server


def test_a_redirect_target_cannot_name_a_realm_for_the_credentials(
    client: RegistryClient,
) -> None:
    with _redirected("/v2/a/b/blobs/{digest}", "/data/blob") as (realm, storage, server):
        with pytest.raises(WharfError):
            client.open_blob(parse_reference(f"{server.host}/a/b"), DIGEST, CREDS)
        assert realm.requests == []
        assert _authorizations(storage) == [""]


def test_login_redirected_elsewhere_sends_no_credentials(client: RegistryClient) -> None:
    with _redirected("/v2/", "/v2/") as (realm, _storage, server):
        with pytest.raises(WharfError):
            client.login(f"http://{server.host}", CREDS)
        assert realm.requests == []


def test_a_mirror_is_asked_anonymously_and_the_upstream_gets_the_credentials() -> None:
    async def manifest(request: web.Request) -> web.Response:
        body = b'{"schemaVersion": 2, "mediaType": "%s", "config": {}, "layers": []}' % (
            MEDIA_TYPE_OCI_MANIFEST.encode()
        )
        return web.Response(body=body, content_type=MEDIA_TYPE_OCI_MANIFEST)

    route = "/v2/a/b/manifests/{ref}"
    with (
        FakeServer([("GET", route, _basic(manifest))]) as mirror,
        FakeServer([("GET", route, _basic(manifest))]) as upstream,
    ):
        config = RegistryConfig(mirrors={upstream.host: [f"http://{mirror.host}"]})
        client = RegistryClient(config)
        try:
            client.fetch_manifest(parse_reference(f"{upstream.host}/a/b:1"), CREDS)
        finally:
            client.close()
        assert mirror.requests and set(_authorizations(mirror)) == {""}
        assert EXPECTED in _authorizations(upstream)


def test_same_origin_compares_scheme_host_and_effective_port() -> None:
    registry = Endpoint("https", "Registry.example.com")
    assert same_origin("https://registry.example.com:443/v2/x", registry)
    assert same_origin("https://REGISTRY.example.com/v2/x", registry)
    assert not same_origin("http://registry.example.com/v2/x", registry)
    assert not same_origin("https://registry.example.com:8443/v2/x", registry)
    assert not same_origin("https://registry.example.com.evil/v2/x", registry)
    assert not same_origin("https://evil:443@registry.example.com/v2/x", registry)  # userinfo
    assert same_origin("http://127.0.0.1:80/x", Endpoint("http", "127.0.0.1"))
    assert same_origin("http://[::1]:5000/x", Endpoint("http", "[::1]:5000"))
    assert not same_origin("http://127.0.0.1:notaport/x", Endpoint("http", "127.0.0.1"))
