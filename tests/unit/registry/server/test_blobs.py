"""Blobs: monolithic upload, HEAD, GET with Range, DELETE, per-repository visibility."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.registry.server.harness import Reg, digest_of, error_code, run

from wharf.registry.server.handlers.blob_stream import ByteRange, RangeNotSatisfiable, parse_range


def test_base_endpoint_answers_with_the_api_version_header(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        resp = await reg.client.get("/v2/")
        assert resp.status == 200
        assert resp.headers["Docker-Distribution-API-Version"] == "registry/2.0"
        assert await resp.json() == {}

    run(tmp_path, scenario)


def test_monolithic_upload_then_head_and_get_return_the_exact_bytes(tmp_path: Path) -> None:
    data = b"layer bytes " * 1000

    async def scenario(reg: Reg) -> None:
        digest = digest_of(data)
        resp = await reg.client.post(f"/v2/a/b/blobs/uploads/?digest={digest}", data=data)
        assert resp.status == 201
        assert resp.headers["Docker-Content-Digest"] == digest
        assert resp.headers["Location"].endswith(f"/v2/a/b/blobs/{digest}")
        head = await reg.client.head(f"/v2/a/b/blobs/{digest}")
        assert head.status == 200
        assert head.headers["Content-Length"] == str(len(data))
        assert head.headers["Docker-Content-Digest"] == digest
        assert await head.read() == b""
        get = await reg.client.get(f"/v2/a/b/blobs/{digest}")
        assert get.status == 200
        assert get.headers["Content-Type"] == "application/octet-stream"
        assert await get.read() == data
        assert (tmp_path / "blobs" / "sha256" / digest.split(":")[1]).read_bytes() == data

    run(tmp_path, scenario)


def test_range_requests_get_206_and_an_unsatisfiable_range_416(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40

    async def scenario(reg: Reg) -> None:
        digest = await reg.push_blob("r", data)
        resp = await reg.client.get(f"/v2/r/blobs/{digest}", headers={"Range": "bytes=100-"})
        assert resp.status == 206
        assert resp.headers["Content-Range"] == f"bytes 100-{len(data) - 1}/{len(data)}"
        assert await resp.read() == data[100:]
        resp = await reg.client.get(f"/v2/r/blobs/{digest}", headers={"Range": "bytes=5-9"})
        assert resp.status == 206
        assert await resp.read() == data[5:10]
        resp = await reg.client.get(
            f"/v2/r/blobs/{digest}", headers={"Range": f"bytes={len(data) + 5}-"}
        )
        assert resp.status == 416

    run(tmp_path, scenario)


def test_a_blob_is_visible_only_in_the_repositories_it_was_pushed_to(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        digest = await reg.push_blob("one", b"private")
        for method in ("HEAD", "GET"):
            resp = await reg.client.request(method, f"/v2/two/blobs/{digest}")
            assert resp.status == 404
        resp = await reg.client.get(f"/v2/two/blobs/{digest}")
        assert await error_code(resp) == "BLOB_UNKNOWN"

    run(tmp_path, scenario)


def test_delete_unlinks_the_blob_from_that_repository_only(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        digest = await reg.push_blob("one", b"shared")
        await reg.push_blob("two", b"shared")
        resp = await reg.client.delete(f"/v2/one/blobs/{digest}")
        assert resp.status == 202
        assert (await reg.client.head(f"/v2/one/blobs/{digest}")).status == 404
        assert (await reg.client.head(f"/v2/two/blobs/{digest}")).status == 200
        resp = await reg.client.delete(f"/v2/one/blobs/{digest}")
        assert resp.status == 404
        assert await error_code(resp) == "BLOB_UNKNOWN"

    run(tmp_path, scenario)


def test_bad_digests_and_names_are_400_with_the_spec_codes(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        cases = {
            "/v2/r/blobs/sha256:xyz": "DIGEST_INVALID",
            "/v2/r/blobs/sha512:" + "a" * 128: "DIGEST_INVALID",
            "/v2/r/blobs/nonsense": "DIGEST_INVALID",
            "/v2/Upper/blobs/sha256:" + "a" * 64: "NAME_INVALID",
            "/v2/a//b/blobs/sha256:" + "a" * 64: "NAME_INVALID",
            "/v2/" + "a" * 300 + "/blobs/sha256:" + "a" * 64: "NAME_INVALID",
        }
        for path, code in cases.items():
            resp = await reg.client.get(path)
            assert resp.status == 400, path
            assert await error_code(resp) == code, path
            assert resp.headers["Content-Type"] == "application/json"

    run(tmp_path, scenario)


def test_unknown_paths_are_404_and_wrong_methods_405(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        resp = await reg.client.get("/nothing/here")
        assert resp.status == 404
        assert "errors" in await resp.json()
        resp = await reg.client.post("/v2/r/blobs/sha256:" + "a" * 64)
        assert resp.status == 405
        assert await error_code(resp) == "UNSUPPORTED"
        resp = await reg.client.delete("/v2/")
        assert resp.status == 405
        resp = await reg.client.head("/v2/")
        assert resp.status == 200
        resp = await reg.client.get(f"/v2/r/referrers/sha256:{'a' * 64}")
        assert resp.status == 404  # no referrers API: clients fall back to the tag scheme
        assert await error_code(resp) == "UNSUPPORTED"

    run(tmp_path, scenario)


def test_parse_range_forms() -> None:
    assert parse_range(None, 100) is None
    assert parse_range("bytes=0-9", 100) == ByteRange(0, 9)
    assert parse_range("bytes=90-", 100) == ByteRange(90, 99)
    assert parse_range("bytes=90-500", 100) == ByteRange(90, 99)
    assert parse_range("bytes=-10", 100) == ByteRange(90, 99)
    assert parse_range("bytes=-500", 100) == ByteRange(0, 99)
    assert parse_range("bytes=0-1,5-6", 100) is None  # several ranges: the whole blob
    assert parse_range("items=0-1", 100) is None
    for unsatisfiable in ("bytes=100-", "bytes=5-3", "bytes=-0"):
        with pytest.raises(RangeNotSatisfiable):
            parse_range(unsatisfiable, 100)


def test_if_range_honours_the_range_only_for_this_blobs_etag(tmp_path: Path) -> None:
    data = bytes(range(256))

    async def scenario(reg: Reg) -> None:
        digest = await reg.push_blob("r", data)
        url = f"/v2/r/blobs/{digest}"
        resp = await reg.client.get(url, headers={"Range": "bytes=10-", "If-Range": f'"{digest}"'})
        assert resp.status == 206
        assert await resp.read() == data[10:]
        resp = await reg.client.get(url, headers={"Range": "bytes=10-", "If-Range": '"other"'})
        assert resp.status == 200
        assert await resp.read() == data

    run(tmp_path, scenario)


def test_an_empty_blob_is_served(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        digest = await reg.push_blob("r", b"")
        resp = await reg.client.get(f"/v2/r/blobs/{digest}")
        assert resp.status == 200
        assert await resp.read() == b""
        resp = await reg.client.get(f"/v2/r/blobs/{digest}", headers={"Range": "bytes=0-"})
        assert resp.status == 416

    run(tmp_path, scenario)
