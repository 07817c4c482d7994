"""Authentication against a scripted registry: Basic, Bearer tokens, OAuth refresh, login."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest
from aiohttp import web
from tests.unit.registry.client.fake_registry import FakeServer, Handler, basic_guard, oci_error

from wharf.core.errors import RemoteFailure, Unauthorized
from wharf.core.oci import MEDIA_TYPE_OCI_MANIFEST
from wharf.core.reference import parse_reference
from wharf.registry.client import Credentials, RegistryClient

MANIFEST = json.dumps(
    {"schemaVersion": 2, "mediaType": MEDIA_TYPE_OCI_MANIFEST, "config": {}, "layers": []}
).encode()


async def _manifest(request: web.Request) -> web.Response:
    return web.Response(body=MANIFEST, content_type=MEDIA_TYPE_OCI_MANIFEST)


def _bearer_guard(realm: Callable[[], str], token: str, inner: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {token}":
            challenge = f'Bearer realm="{realm()}",service="fake",scope="repository:a/b:pull"'
            return oci_error(
                401, "UNAUTHORIZED", "authentication required", **{"WWW-Authenticate": challenge}
            )
        return await inner(request)

    return guarded


def _bearer_server(
    method: str, token_handler: Handler, path: str = "/v2/a/b/manifests/{ref}"
) -> FakeServer:
    """A scripted registry whose ``path`` wants the Bearer token ``tok-1`` from its own
    ``/token`` (answered by ``token_handler`` for ``method``)."""
    server: FakeServer

    def realm() -> str:  # asked at request time, once the server below exists
        return f"http://{server.host}/token"

    server = FakeServer(
        [(method, "/token", token_handler), ("GET", path, _bearer_guard(realm, "tok-1", _manifest))]
    )
    return server


def test_basic_auth_sends_credentials_after_the_challenge(client: RegistryClient) -> None:
    routes = [
        ("GET", "/v2/", basic_guard("ann", "pw", _manifest)),
        ("GET", "/v2/a/b/manifests/{ref}", basic_guard("ann", "pw", _manifest)),
    ]
    with FakeServer(routes) as server:
        ref = parse_reference(f"{server.host}/a/b:1")
        fetched = client.fetch_manifest(ref, Credentials("ann", "pw"))
        assert fetched.data == MANIFEST
        client.fetch_manifest(ref, Credentials("ann", "pw"))
        # the second fetch sends the credentials up front: no second 401
        assert len(server.paths("GET")) == 3


def test_basic_auth_without_credentials_is_docker_no_basic_auth_credentials(
    client: RegistryClient,
) -> None:
    routes = [("GET", "/v2/a/b/manifests/{ref}", basic_guard("ann", "pw", _manifest))]
    with FakeServer(routes) as server:
        with pytest.raises(RemoteFailure) as caught:
            client.fetch_manifest(parse_reference(f"{server.host}/a/b:1"))
        assert str(caught.value) == (
            f'Get "http://{server.host}/v2/a/b/manifests/1": no basic auth credentials'
        )


def _token_server(issued: list[dict[str, list[str]]], refresh: str = "") -> Handler:
    async def token(request: web.Request) -> web.Response:
        form = dict(await request.post()) if request.method == "POST" else {}
        issued.append(
            {
                "method": [request.method],
                "scope": request.query.getall("scope", []) or [str(form.get("scope", ""))],
                "account": request.query.getall("account", []),
                "auth": [request.headers.get("Authorization", "")],
                "grant": [str(form.get("grant_type", ""))],
                "refresh": [str(form.get("refresh_token", ""))],
            }
        )
        if request.headers.get("Authorization", "").startswith("Basic ") and not request.headers[
            "Authorization"
        ].endswith(base64.b64encode(b"ann:pw").decode()):
            return oci_error(401, "UNAUTHORIZED", "authentication required")
        body: dict[str, object] = {"token": "tok-1", "expires_in": 300}
        if refresh:
            body["refresh_token"] = refresh
        return web.json_response(body)

    return token


def test_bearer_token_is_fetched_once_and_reused(client: RegistryClient) -> None:
    issued: list[dict[str, list[str]]] = []
    with _bearer_server("GET", _token_server(issued)) as server:
        ref = parse_reference(f"{server.host}/a/b:1")
        client.fetch_manifest(ref, Credentials("ann", "pw"))
        client.fetch_manifest(ref, Credentials("ann", "pw"))
        assert len(issued) == 1
        assert issued[0]["scope"] == ["repository:a/b:pull"]
        assert issued[0]["account"] == ["ann"]
        assert issued[0]["auth"][0].startswith("Basic ")


def test_anonymous_bearer_token(client: RegistryClient) -> None:
    issued: list[dict[str, list[str]]] = []
    with _bearer_server("GET", _token_server(issued)) as server:
        client.fetch_manifest(parse_reference(f"{server.host}/a/b:1"))
        assert issued[0]["auth"] == [""]
        assert issued[0]["account"] == []


def test_identity_token_uses_oauth_post(client: RegistryClient) -> None:
    issued: list[dict[str, list[str]]] = []
    with _bearer_server("POST", _token_server(issued)) as server:
        client.fetch_manifest(
            parse_reference(f"{server.host}/a/b:1"), Credentials(identity_token="refresh-9")
        )
        assert issued[0]["grant"] == ["refresh_token"]
        assert issued[0]["refresh"] == ["refresh-9"]


def test_login_with_token_server_returns_the_refresh_token(client: RegistryClient) -> None:
    issued: list[dict[str, list[str]]] = []
    with _bearer_server("GET", _token_server(issued, refresh="keep-me"), "/v2/") as server:
        assert client.login(f"http://{server.host}", Credentials("ann", "pw")) == "keep-me"
        with pytest.raises(Unauthorized, match="incorrect username or password"):
            client.login(server.host, Credentials("ann", "wrong"))


def test_login_basic(client: RegistryClient) -> None:
    with FakeServer([("GET", "/v2/", basic_guard("ann", "pw", _manifest))]) as server:
        assert client.login(server.host, Credentials("ann", "pw")) == ""
        with pytest.raises(Unauthorized) as caught:
            client.login(server.host, Credentials("ann", "nope"))
        assert str(caught.value) == (
            f"login attempt to http://{server.host}/v2/ failed with status: 401 Unauthorized"
        )
        with pytest.raises(Unauthorized):
            client.login(server.host, Credentials())


def test_an_oversized_token_response_is_refused(client: RegistryClient) -> None:
    async def huge_token(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * (2 * 1024 * 1024), content_type="application/json")

    with (
        _bearer_server("GET", huge_token) as server,
        pytest.raises(RemoteFailure, match="too large"),
    ):
        client.fetch_manifest(parse_reference(f"{server.host}/a/b:1"))
