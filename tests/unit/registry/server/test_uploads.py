"""Uploads: chunked PATCH in order, status, finish with digest check, cancel, mount, limits."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from tests.unit.registry.server.harness import Reg, digest_of, error_code, registry_at, run


async def _start(reg: Reg, name: str = "r") -> str:
    resp = await reg.client.post(f"/v2/{name}/blobs/uploads/")
    assert resp.status == 202
    assert resp.headers["Range"] == "0-0"
    assert resp.headers["Docker-Upload-UUID"]
    location = resp.headers["Location"]
    assert location.startswith("http://") and f"/v2/{name}/blobs/uploads/" in location
    return location[location.index("/v2/") :]


def _stored_blobs(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "blobs" / "sha256").iterdir())


def test_chunked_upload_in_order_then_finish(tmp_path: Path) -> None:
    chunks = [b"a" * 1000, b"b" * 10, b"c" * 5000]
    data = b"".join(chunks)

    async def scenario(reg: Reg) -> None:
        url = await _start(reg)
        offset = 0
        for chunk in chunks:
            headers = {"Content-Range": f"{offset}-{offset + len(chunk) - 1}"}
            resp = await reg.client.patch(url, data=chunk, headers=headers)
            assert resp.status == 202, await resp.text()
            offset += len(chunk)
            assert resp.headers["Range"] == f"0-{offset - 1}"
        status = await reg.client.get(url)
        assert status.status == 204
        assert status.headers["Range"] == f"0-{len(data) - 1}"
        resp = await reg.client.put(f"{url}?digest={digest_of(data)}")
        assert resp.status == 201
        assert resp.headers["Docker-Content-Digest"] == digest_of(data)
        blob = await reg.client.get(f"/v2/r/blobs/{digest_of(data)}")
        assert await blob.read() == data
        assert (await reg.client.get(url)).status == 404  # the session is gone
        assert list((tmp_path / "uploads").iterdir()) == []

    run(tmp_path, scenario)


def test_streamed_patch_without_content_range_and_a_final_chunk_in_put(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        url = await _start(reg)
        assert (await reg.client.patch(url, data=b"first part ")).status == 202
        data = b"first part last part"
        resp = await reg.client.put(
            f"{url}?digest={digest_of(data)}",
            data=b"last part",
            headers={"Content-Range": "11-19"},
        )
        assert resp.status == 201, await resp.text()
        assert await (await reg.client.get(f"/v2/r/blobs/{digest_of(data)}")).read() == data

    run(tmp_path, scenario)


def test_an_out_of_order_chunk_is_416_and_changes_nothing(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        url = await _start(reg)
        await reg.client.patch(url, data=b"12345", headers={"Content-Range": "0-4"})
        for bad in ("10-14", "0-4", "5-3", "garbage"):
            resp = await reg.client.patch(url, data=b"67890", headers={"Content-Range": bad})
            assert resp.status == 416, bad
            assert await error_code(resp) == "BLOB_UPLOAD_INVALID"
        resp = await reg.client.patch(url, data=b"678", headers={"Content-Range": "5-9"})
        assert resp.status == 400
        assert await error_code(resp) == "SIZE_INVALID"
        status = await reg.client.get(url)
        assert status.headers["Range"] == "0-4"

    run(tmp_path, scenario)


def test_a_wrong_digest_is_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        url = await _start(reg)
        await reg.client.patch(url, data=b"content")
        resp = await reg.client.put(f"{url}?digest={digest_of(b'other')}")
        assert resp.status == 400
        body = await resp.json()
        assert body["errors"][0]["code"] == "DIGEST_INVALID"
        assert body["errors"][0]["detail"]["actual"] == digest_of(b"content")
        resp = await reg.client.post(
            f"/v2/r/blobs/uploads/?digest={digest_of(b'x')}", data=b"not x"
        )
        assert resp.status == 400
        assert await error_code(resp) == "DIGEST_INVALID"
        assert _stored_blobs(tmp_path) == []
        assert (await reg.client.head(f"/v2/r/blobs/{digest_of(b'content')}")).status == 404

    run(tmp_path, scenario)


def test_finish_without_or_with_a_bad_digest_is_400(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        url = await _start(reg)
        for query in ("", "?digest=md5:abc", "?digest=sha256:short"):
            resp = await reg.client.put(f"{url}{query}")
            assert resp.status == 400, query
            assert await error_code(resp) == "DIGEST_INVALID"
        resp = await reg.client.post("/v2/r/blobs/uploads/?digest-algorithm=sha512")
        assert resp.status == 400

    run(tmp_path, scenario)


def test_a_post_with_a_body_but_no_digest_is_refused_not_dropped(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        resp = await reg.client.post("/v2/r/blobs/uploads/", data=b"data")
        assert resp.status == 400
        assert await error_code(resp) == "BLOB_UPLOAD_INVALID"

    run(tmp_path, scenario)


def test_cancel_and_unknown_sessions(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        url = await _start(reg)
        assert (await reg.client.delete(url)).status == 204
        for method in ("GET", "PATCH", "PUT", "DELETE"):
            resp = await reg.client.request(method, f"{url}?digest={digest_of(b'')}")
            assert resp.status == 404, method
            assert await error_code(resp) == "BLOB_UPLOAD_UNKNOWN"
        other = await _start(reg, "other")
        resp = await reg.client.get(other.replace("/v2/other/", "/v2/r/"))
        assert resp.status == 404  # a session belongs to its repository
        resp = await reg.client.get("/v2/r/blobs/uploads/..%2F..%2Fetc")
        assert resp.status == 404

    run(tmp_path, scenario)


def test_cross_repository_mount_links_or_falls_back_to_an_upload(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        digest = await reg.push_blob("source", b"mount me")
        resp = await reg.client.post(f"/v2/target/blobs/uploads/?mount={digest}&from=source")
        assert resp.status == 201
        assert resp.headers["Docker-Content-Digest"] == digest
        assert (await reg.client.head(f"/v2/target/blobs/{digest}")).status == 200
        missing = digest_of(b"absent")
        resp = await reg.client.post(f"/v2/target/blobs/uploads/?mount={missing}&from=source")
        assert resp.status == 202  # not mountable: an ordinary upload starts
        resp = await reg.client.post(f"/v2/third/blobs/uploads/?mount={digest}&from=elsewhere")
        assert resp.status == 202  # the source repository does not have it
        resp = await reg.client.post(f"/v2/t/blobs/uploads/?mount={digest}&from=Bad..Name")
        assert resp.status == 400

    run(tmp_path, scenario)


def test_a_body_past_the_size_limit_is_413_and_the_upload_keeps_its_bytes(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        url = await _start(reg)
        assert (await reg.client.patch(url, data=b"x" * 600)).status == 202
        resp = await reg.client.patch(url, data=b"y" * 600)
        assert resp.status == 413
        assert (await reg.client.get(url)).headers["Range"] == "0-599"

        async def endless() -> object:
            for _ in range(100):
                yield b"z" * 100

        resp = await reg.client.patch(url, data=endless())  # chunked: no Content-Length
        assert resp.status == 413
        assert (await reg.client.get(url)).headers["Range"] == "0-599"
        resp = await reg.client.put(f"{url}?digest={digest_of(b'x' * 600)}")
        assert resp.status == 201

    run(tmp_path, scenario, max_blob_size=1000)


def test_an_upload_survives_a_restart_and_is_verified_from_disk(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with registry_at(tmp_path) as reg:
            url = await _start(reg)
            await reg.client.patch(url, data=b"before restart ")
        async with registry_at(tmp_path) as reg:
            await reg.client.patch(url, data=b"after", headers={"Content-Range": "15-19"})
            data = b"before restart after"
            resp = await reg.client.put(f"{url}?digest={digest_of(data)}")
            assert resp.status == 201, await resp.text()

    asyncio.run(scenario())


def test_bodies_in_chunked_transfer_encoding_are_taken_not_dropped(tmp_path: Path) -> None:
    async def chunks(*parts: bytes) -> object:
        for part in parts:
            yield part

    async def scenario(reg: Reg) -> None:
        resp = await reg.client.post("/v2/r/blobs/uploads/", data=chunks(b"body"))
        assert resp.status == 400  # a body without ?digest= is refused, even chunked
        url = await _start(reg)
        assert (await reg.client.patch(url, data=chunks(b"one ", b"two "))).status == 202
        data = b"one two three"
        resp = await reg.client.put(f"{url}?digest={digest_of(data)}", data=chunks(b"three"))
        assert resp.status == 201, await resp.text()
        assert await (await reg.client.get(f"/v2/r/blobs/{digest_of(data)}")).read() == data
        resp = await reg.client.post(
            f"/v2/r/blobs/uploads/?digest={digest_of(b'mono')}", data=chunks(b"mo", b"no")
        )
        assert resp.status == 201

    run(tmp_path, scenario)


def test_open_upload_sessions_are_capped(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        locations = []
        for _ in range(3):
            resp = await reg.client.post("/v2/r/blobs/uploads/")
            assert resp.status == 202
            locations.append(resp.headers["Location"])
        refused = await reg.client.post("/v2/r/blobs/uploads/")
        assert refused.status == 429
        assert await error_code(refused) == "TOOMANYREQUESTS"
        digest = digest_of(b"mono")  # a monolithic upload needs a session too
        resp = await reg.client.post(f"/v2/r/blobs/uploads/?digest={digest}", data=b"mono")
        assert resp.status == 429
        assert len(list((tmp_path / "uploads").iterdir())) == 3
        first = locations[0][locations[0].index("/v2/") :]
        assert (await reg.client.delete(first)).status == 204
        resp = await reg.client.post(f"/v2/r/blobs/uploads/?digest={digest}", data=b"mono")
        assert resp.status == 201  # a freed slot is usable, and the finished one frees its own
        assert (await reg.client.post("/v2/r/blobs/uploads/")).status == 202

    run(tmp_path, scenario, max_open_uploads=3)


def test_at_the_cap_day_old_sessions_make_room(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        for _ in range(2):
            assert (await reg.client.post("/v2/r/blobs/uploads/")).status == 202
        stale = sorted((tmp_path / "uploads").iterdir())[0]
        old = time.time() - 2 * 24 * 3600
        for path in (stale / "data", stale):
            os.utime(path, (old, old))
        assert (await reg.client.post("/v2/r/blobs/uploads/")).status == 202
        assert not stale.exists()

    run(tmp_path, scenario, max_open_uploads=2)
