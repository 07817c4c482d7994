"""Pulling manifests from a scripted registry: verification, platforms, errors, mirrors."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from aiohttp import web
from tests.unit.registry.client.fake_registry import FakeServer, Handler, oci_error

from wharf.core.digest import Digest
from wharf.core.errors import InvalidParameter, NotFound, RemoteFailure
from wharf.core.oci import (
    MEDIA_TYPE_DOCKER_MANIFEST,
    MEDIA_TYPE_DOCKER_MANIFEST_LIST,
    MEDIA_TYPE_OCI_MANIFEST,
)
from wharf.core.reference import parse_reference
from wharf.registry.client import RegistryClient, RegistryConfig, parse_platform

CONFIG = Digest.from_bytes(b"config")


def _manifest_bytes(arch: str) -> bytes:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE_DOCKER_MANIFEST,
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "digest": str(CONFIG),
                "size": 6,
            },
            "layers": [],
            "annotations": {"arch": arch},
        }
    ).encode()


AMD64 = _manifest_bytes("amd64")
ARM64 = _manifest_bytes("arm64")
INDEX = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": MEDIA_TYPE_DOCKER_MANIFEST_LIST,
        "manifests": [
            {
                "mediaType": MEDIA_TYPE_DOCKER_MANIFEST,
                "digest": str(Digest.from_bytes(AMD64)),
                "size": len(AMD64),
                "platform": {"os": "linux", "architecture": "amd64"},
            },
            {
                "mediaType": MEDIA_TYPE_DOCKER_MANIFEST,
                "digest": str(Digest.from_bytes(ARM64)),
                "size": len(ARM64),
                "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"},
            },
        ],
    }
).encode()
BY_NAME = {
    "latest": INDEX,
    str(Digest.from_bytes(AMD64)): AMD64,
    str(Digest.from_bytes(ARM64)): ARM64,
    "single": AMD64,
}


async def _serve(request: web.Request) -> web.Response:
    body = BY_NAME.get(request.match_info["ref"])
    if body is None:
        return oci_error(404, "MANIFEST_UNKNOWN", "manifest unknown")
    media_type = json.loads(body)["mediaType"]
    digest = str(Digest.from_bytes(body))
    return web.Response(
        body=body, content_type=media_type, headers={"Docker-Content-Digest": digest}
    )


def _route(handler: Handler) -> list[tuple[str, str, Handler]]:
    return [("GET", "/v2/a/b/manifests/{ref}", handler)]


def test_resolve_an_index_to_the_platform_manifest(client: RegistryClient) -> None:
    with FakeServer(_route(_serve)) as server:
        ref = parse_reference(f"{server.host}/a/b:latest")
        amd = client.resolve(ref, platform=parse_platform("linux/amd64"))
        assert amd.digest == Digest.from_bytes(INDEX)
        assert amd.index is not None and amd.index.data == INDEX
        assert amd.manifest.data == AMD64
        assert amd.image_manifest.config.digest == CONFIG
        arm = client.resolve(ref, platform=parse_platform("linux/arm64"))
        assert arm.manifest.data == ARM64
        assert arm.platform is not None and arm.platform.variant == "v8"
        with pytest.raises(NotFound, match="no matching manifest for linux/s390x"):
            client.resolve(ref, platform=parse_platform("linux/s390x"))


def test_resolve_a_single_manifest(client: RegistryClient) -> None:
    with FakeServer(_route(_serve)) as server:
        resolved = client.resolve(parse_reference(f"{server.host}/a/b:single"))
        assert resolved.index is None
        assert resolved.digest == Digest.from_bytes(AMD64)
        assert resolved.manifest.media_type == MEDIA_TYPE_DOCKER_MANIFEST


def test_unknown_tag_has_dockers_message(client: RegistryClient) -> None:
    with FakeServer(_route(_serve)) as server:
        with pytest.raises(NotFound) as caught:
            client.resolve(parse_reference(f"{server.host}/a/b:nope"))
        assert str(caught.value) == (
            f"manifest for {server.host}/a/b:nope not found: manifest unknown: manifest unknown"
        )


async def _lying_digest(request: web.Request) -> web.Response:
    return web.Response(
        body=AMD64,
        content_type=MEDIA_TYPE_DOCKER_MANIFEST,
        headers={"Docker-Content-Digest": str(Digest.from_bytes(b"x"))},
    )


async def _huge(request: web.Request) -> web.Response:
    return web.Response(body=b" " * (5 * 1024 * 1024), content_type=MEDIA_TYPE_OCI_MANIFEST)


async def _broken_json(request: web.Request) -> web.Response:
    return web.Response(body=b"{not json", content_type=MEDIA_TYPE_OCI_MANIFEST)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        pytest.param(_lying_digest, "manifest verification failed", id="wrong-content-digest"),
        pytest.param(_huge, "too large", id="oversized"),
        pytest.param(_broken_json, "malformed manifest", id="malformed-json"),
    ],
)
def test_a_bad_manifest_is_refused(client: RegistryClient, answer: Handler, error: str) -> None:
    with FakeServer(_route(answer)) as server, pytest.raises(RemoteFailure, match=error):
        client.fetch_manifest(parse_reference(f"{server.host}/a/b:1"))


def test_by_digest_bytes_must_match_the_digest(client: RegistryClient) -> None:
    async def other_bytes(request: web.Request) -> web.Response:
        return web.Response(body=ARM64, content_type=MEDIA_TYPE_DOCKER_MANIFEST)

    with FakeServer(_route(other_bytes)) as server:
        ref = parse_reference(f"{server.host}/a/b@{Digest.from_bytes(AMD64)}")
        with pytest.raises(RemoteFailure, match="manifest verification failed"):
            client.fetch_manifest(ref)


def test_schema1_and_unknown_types_are_refused(client: RegistryClient) -> None:
    async def schema1(request: web.Request) -> web.Response:
        body = {"schemaVersion": 1, "name": "a/b", "fsLayers": []}
        return web.json_response(
            body, content_type="application/vnd.docker.distribution.manifest.v1+prettyjws"
        )

    async def unknown(request: web.Request) -> web.Response:
        return web.json_response(
            {"schemaVersion": 2, "mediaType": "text/x-nope"}, content_type="text/x-nope"
        )

    with FakeServer(
        [("GET", "/v2/a/b/manifests/{ref}", schema1), ("GET", "/v2/c/d/manifests/{ref}", unknown)]
    ) as server:
        with pytest.raises(InvalidParameter, match="schema 1 support has been removed"):
            client.fetch_manifest(parse_reference(f"{server.host}/a/b:1"))
        with pytest.raises(RemoteFailure, match="unsupported manifest media type"):
            client.fetch_manifest(parse_reference(f"{server.host}/c/d:1"))


def test_denied_is_pull_access_denied(client: RegistryClient) -> None:
    async def denied(request: web.Request) -> web.Response:
        return oci_error(403, "DENIED", "requested access to the resource is denied")

    with (
        FakeServer(_route(denied)) as server,
        pytest.raises(NotFound, match=r"pull access denied for .*: denied: requested access"),
    ):
        client.fetch_manifest(parse_reference(f"{server.host}/a/b:1"))


def test_server_error_is_a_remote_failure(client: RegistryClient) -> None:
    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=502, text="bad gateway")

    with FakeServer(_route(broken)) as server, pytest.raises(RemoteFailure, match="502"):
        client.fetch_manifest(parse_reference(f"{server.host}/a/b:1"))


def test_a_registry_that_never_answers_times_out() -> None:
    async def never(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response()

    slow = RegistryClient(RegistryConfig(connect_timeout=1.0, read_timeout=0.5))
    try:
        with FakeServer(_route(never)) as server:
            started = time.monotonic()
            with pytest.raises(RemoteFailure, match="timeout"):
                slow.fetch_manifest(parse_reference(f"{server.host}/a/b:1"))
            assert time.monotonic() - started < 5
    finally:
        slow.close()


def test_unreachable_registry_names_the_url(client: RegistryClient) -> None:
    with FakeServer([]) as server:
        host = server.host
    with pytest.raises(RemoteFailure) as caught:
        client.ping(host)
    assert str(caught.value) == (
        f'Get "https://{host}/v2/": dial tcp {host}: connect: connection refused'
    )


def test_mirror_failures_fall_back_to_the_upstream() -> None:
    async def mirror_broken(request: web.Request) -> web.Response:
        return web.Response(status=500)

    with FakeServer(_route(_serve)) as upstream, FakeServer(_route(mirror_broken)) as mirror:
        with FakeServer([]) as gone:
            dead = gone.host
        mirrors = {upstream.host: [f"http://{dead}", f"http://{mirror.host}"]}
        client = RegistryClient(RegistryConfig(mirrors=mirrors, connect_timeout=2.0))
        try:
            fetched = client.fetch_manifest(parse_reference(f"{upstream.host}/a/b:single"))
        finally:
            client.close()
        assert fetched.data == AMD64
        assert mirror.paths("GET") == ["/v2/a/b/manifests/single"]


def test_a_working_mirror_serves_the_pull() -> None:
    with FakeServer(_route(_serve)) as mirror, FakeServer(_route(_serve)) as upstream:
        client = RegistryClient(RegistryConfig(mirrors={upstream.host: [f"http://{mirror.host}"]}))
        try:
            client.fetch_manifest(parse_reference(f"{upstream.host}/a/b:single"))
        finally:
            client.close()
        assert upstream.requests == []
        assert mirror.paths("GET") == ["/v2/a/b/manifests/single"]


def test_tags_follow_link_pagination(client: RegistryClient) -> None:
    async def tags(request: web.Request) -> web.Response:
        last = request.query.get("last", "")
        pages = {"": (["1", "2"], "2"), "2": (["3"], None)}
        names, next_last = pages[last]
        headers = {}
        if next_last:
            headers["Link"] = f'</v2/a/b/tags/list?n=2&last={next_last}>; rel="next"'
        return web.json_response({"name": "a/b", "tags": names}, headers=headers)

    with FakeServer([("GET", "/v2/a/b/tags/list", tags)]) as server:
        assert client.list_tags(parse_reference(f"{server.host}/a/b")) == ["1", "2", "3"]


def test_search_parses_dockers_search_shape(client: RegistryClient) -> None:
    async def search(request: web.Request) -> web.Response:
        assert request.query["q"] == "busy"
        return web.json_response(
            {
                "num_results": 2,
                "query": "busy",
                "results": [
                    {
                        "name": "library/busybox",
                        "description": "tiny",
                        "star_count": 7,
                        "is_official": True,
                        "is_automated": False,
                    },
                    {"name": "x/busy"},
                    {"bad": "entry"},
                ],
            }
        )

    with FakeServer([("GET", "/v1/search", search)]) as server:
        found = client.search(server.host, "busy", limit=10)
    assert [(r.name, r.star_count, r.is_official) for r in found] == [
        ("library/busybox", 7, True),
        ("x/busy", 0, False),
    ]
