"""Pushing to a scripted registry: HEAD, mount, monolithic and chunked uploads, manifest PUT."""

from __future__ import annotations

import io

import pytest
from aiohttp import web
from tests.unit.registry.client.fake_registry import FakeServer, Handler, oci_error

from wharf.core.digest import Digest
from wharf.core.errors import Forbidden, RemoteFailure
from wharf.core.oci import MEDIA_TYPE_OCI_MANIFEST
from wharf.core.reference import parse_reference
from wharf.registry.client import RegistryClient

BLOB = b"layer-bytes-" * 10000
DIGEST = Digest.from_bytes(BLOB)


class Uploads:
    """A minimal upload endpoint that checks PATCH ranges as the spec requires."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.patches: list[str] = []
        self.stored: dict[str, bytes] = {}

    async def start(self, request: web.Request) -> web.Response:
        if "mount" in request.query:
            if request.query["from"] == "has/it":
                return web.Response(status=201)
            return web.Response(status=202, headers={"Location": "/v2/a/b/blobs/uploads/m1"})
        self.received.clear()
        return web.Response(status=202, headers={"Location": "/v2/a/b/blobs/uploads/u1?state=0"})

    async def patch(self, request: web.Request) -> web.Response:
        span = request.headers["Content-Range"]
        start, _, end = span.partition("-")
        if int(start) != len(self.received):
            return web.Response(status=416)
        body = await request.read()
        assert len(body) == int(end) - int(start) + 1
        self.received += body
        self.patches.append(span)
        return web.Response(
            status=202,
            headers={
                "Location": f"/v2/a/b/blobs/uploads/u1?state={len(self.received)}",
                "Range": f"0-{len(self.received) - 1}",
            },
        )

    async def put(self, request: web.Request) -> web.Response:
        self.received += await request.read()
        digest = request.query["digest"]
        if str(Digest.from_bytes(bytes(self.received))) != digest:
            return oci_error(
                400, "DIGEST_INVALID", "provided digest did not match uploaded content"
            )
        self.stored[digest] = bytes(self.received)
        return web.Response(status=201, headers={"Docker-Content-Digest": digest})

    async def delete(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def head(self, request: web.Request) -> web.Response:
        blob = self.stored.get(request.match_info["digest"])
        if blob is None:
            return web.Response(status=404)
        return web.Response(headers={"Content-Length": str(len(blob))})

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", "/v2/a/b/blobs/uploads/", self.start),
            ("PATCH", "/v2/a/b/blobs/uploads/{id}", self.patch),
            ("PUT", "/v2/a/b/blobs/uploads/{id}", self.put),
            ("DELETE", "/v2/a/b/blobs/uploads/{id}", self.delete),
            ("HEAD", "/v2/a/b/blobs/{digest}", self.head),
        ]


def test_monolithic_upload_then_head(client: RegistryClient) -> None:
    uploads = Uploads()
    with FakeServer(uploads.routes()) as server:
        ref = parse_reference(f"{server.host}/a/b:1")
        assert client.blob_size(ref, DIGEST) is None
        seen: list[int] = []
        client.upload_blob(ref, DIGEST, len(BLOB), io.BytesIO(BLOB), progress=seen.append)
        assert uploads.stored[str(DIGEST)] == BLOB
        assert uploads.patches == []
        assert seen[-1] == len(BLOB)
        assert client.blob_size(ref, DIGEST) == len(BLOB)


def test_chunked_upload_sends_ordered_ranges(client: RegistryClient) -> None:
    uploads = Uploads()
    with FakeServer(uploads.routes()) as server:
        ref = parse_reference(f"{server.host}/a/b:1")
        client.upload_blob(ref, DIGEST, len(BLOB), io.BytesIO(BLOB), chunk_size=50000)
        assert uploads.patches == ["0-49999", "50000-99999", "100000-119999"]
        assert uploads.stored[str(DIGEST)] == BLOB


def test_wrong_digest_is_refused(client: RegistryClient) -> None:
    uploads = Uploads()
    with FakeServer(uploads.routes()) as server:
        ref = parse_reference(f"{server.host}/a/b:1")
        with pytest.raises(Exception, match="digest did not match"):
            client.upload_blob(ref, Digest.from_bytes(b"x"), len(BLOB), io.BytesIO(BLOB))


def test_a_short_source_fails_the_upload(client: RegistryClient) -> None:
    uploads = Uploads()
    with FakeServer(uploads.routes()) as server:
        ref = parse_reference(f"{server.host}/a/b:1")
        with pytest.raises(RemoteFailure, match="ended"):
            client.upload_blob(ref, DIGEST, len(BLOB), io.BytesIO(BLOB[:100]), chunk_size=50)


def test_mount_created_or_refused(client: RegistryClient) -> None:
    uploads = Uploads()
    with FakeServer(uploads.routes()) as server:
        ref = parse_reference(f"{server.host}/a/b:1")
        assert client.mount_blob(ref, DIGEST, "has/it") is True
        assert client.mount_blob(ref, DIGEST, "lacks/it") is False
        assert server.paths("DELETE") == ["/v2/a/b/blobs/uploads/m1"]


def test_put_manifest_returns_its_digest_and_checks_the_registrys(
    client: RegistryClient,
) -> None:
    data = b'{"schemaVersion":2}'

    async def put(request: web.Request) -> web.Response:
        assert request.headers["Content-Type"] == MEDIA_TYPE_OCI_MANIFEST
        answered = str(Digest.from_bytes(await request.read()))
        if request.match_info["ref"] == "lie":
            answered = str(Digest.from_bytes(b"other"))
        return web.Response(status=201, headers={"Docker-Content-Digest": answered})

    with FakeServer([("PUT", "/v2/a/b/manifests/{ref}", put)]) as server:
        ref = parse_reference(f"{server.host}/a/b:v1")
        assert client.put_manifest(ref, MEDIA_TYPE_OCI_MANIFEST, data) == Digest.from_bytes(data)
        assert server.paths("PUT") == ["/v2/a/b/manifests/v1"]
        with pytest.raises(RemoteFailure, match="stored manifest as"):
            client.put_manifest(ref, MEDIA_TYPE_OCI_MANIFEST, data, tag="lie")


def test_push_denied_and_unauthorized(client: RegistryClient) -> None:
    async def denied(request: web.Request) -> web.Response:
        return oci_error(403, "DENIED", "requested access to the resource is denied")

    async def unauthorized(request: web.Request) -> web.Response:
        return oci_error(
            401,
            "UNAUTHORIZED",
            "authentication required",
            **{"WWW-Authenticate": 'Basic realm="r"'},
        )

    with FakeServer(
        [
            ("POST", "/v2/a/b/blobs/uploads/", denied),
            ("POST", "/v2/c/d/blobs/uploads/", unauthorized),
        ]
    ) as server:
        with pytest.raises(Forbidden, match="denied: requested access to the resource is denied"):
            client.upload_blob(parse_reference(f"{server.host}/a/b"), DIGEST, 3, io.BytesIO(b"abc"))
        with pytest.raises(RemoteFailure, match="no basic auth credentials"):
            client.upload_blob(parse_reference(f"{server.host}/c/d"), DIGEST, 3, io.BytesIO(b"abc"))


def test_a_registry_that_lost_a_chunk_fails_the_upload(client: RegistryClient) -> None:
    async def start(request: web.Request) -> web.Response:
        return web.Response(status=202, headers={"Location": "/v2/a/b/blobs/uploads/u1"})

    async def forgetful(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(
            status=202, headers={"Location": "/v2/a/b/blobs/uploads/u1", "Range": "0-9"}
        )

    routes = [
        ("POST", "/v2/a/b/blobs/uploads/", start),
        ("PATCH", "/v2/a/b/blobs/uploads/{id}", forgetful),
    ]
    with FakeServer(routes) as server:
        ref = parse_reference(f"{server.host}/a/b")
        with pytest.raises(RemoteFailure, match="holds 0-9"):
            client.upload_blob(ref, DIGEST, len(BLOB), io.BytesIO(BLOB), chunk_size=50000)
