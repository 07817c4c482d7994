"""Requests built to crash a parser get the spec's 4xx, never a 500: JSON nested past Python's
recursion limit or holding integers past its digit limit, numbers in other scripts' digits or
thousands of digits long (query, Range, Content-Range), a manifest that is both an image
manifest and an index, stars no client can hold."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from tests.unit.registry.server.harness import OCI_INDEX, OCI_MANIFEST, Reg, error_code, run

NESTED = b"[" * 500_000
HUGE_NUMBER = "9" * 5000


def test_manifests_past_the_json_parsers_limits_are_manifest_invalid(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        good = json.loads(await reg.image_manifest("r", [b"l"]))
        huge = json.dumps(good).replace('"schemaVersion": 2', f'"schemaVersion": {HUGE_NUMBER}')
        for body in (NESTED, huge.encode()):
            resp = await reg.put_manifest("r", "t", body)
            assert resp.status == 400, await resp.text()
            assert await error_code(resp) == "MANIFEST_INVALID"
        assert (await reg.client.get("/v2/r/manifests/t")).status == 404

    run(tmp_path, scenario)


def test_a_manifest_that_is_also_an_index_is_refused(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        manifest = json.loads(await reg.image_manifest("r", [b"l"]))
        assert (await reg.put_manifest("r", "m", json.dumps(manifest).encode())).status == 201
        child = {"mediaType": OCI_MANIFEST, "digest": "", "size": 0}
        resp = await reg.client.get("/v2/r/manifests/m")
        child["digest"], child["size"] = (
            resp.headers["Docker-Content-Digest"],
            len(await resp.read()),
        )
        both = {**manifest, "manifests": [child]}
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [child]}
        for body, media_type in (
            (both, OCI_MANIFEST),
            ({**index, "layers": manifest["layers"]}, OCI_INDEX),
            ({**index, "config": manifest["config"]}, OCI_INDEX),
        ):
            resp = await reg.put_manifest("r", "x", json.dumps(body).encode(), media_type)
            assert resp.status == 400, await resp.text()
            assert await error_code(resp) == "MANIFEST_INVALID"

    run(tmp_path, scenario)


def test_counts_in_other_digits_or_too_long_are_pagination_errors(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        await reg.push_blob("r", b"x")
        for path in ("/v2/_catalog", "/v2/r/tags/list", "/v1/search"):
            for number in ("\u00b2", "\u0661", HUGE_NUMBER, "-1"):
                resp = await reg.client.get(path, params={"n": number})
                assert resp.status == 400, (path, number, resp.status)
                assert await error_code(resp) == "PAGINATION_NUMBER_INVALID"
        resp = await reg.client.get("/v1/search", params={"page": HUGE_NUMBER})
        assert resp.status == 400

    run(tmp_path, scenario)


def test_ranges_with_overlong_numbers_are_not_a_500(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        digest = await reg.push_blob("r", b"0123456789")
        for spec in (f"bytes={HUGE_NUMBER}-", f"bytes=0-{HUGE_NUMBER}", f"bytes=-{HUGE_NUMBER}"):
            resp = await reg.client.get(f"/v2/r/blobs/{digest}", headers={"Range": spec})
            assert resp.status == 200, (spec, resp.status)  # ignored: the whole blob
            assert await resp.read() == b"0123456789"
        location = await reg.start_upload("r")
        for span in (f"0-{HUGE_NUMBER}", f"{HUGE_NUMBER}-1", "\u0660-\u0660"):
            resp = await reg.client.patch(location, data=b"a", headers={"Content-Range": span})
            assert resp.status == 416, (span[:20], resp.status, await resp.text())
            assert await error_code(resp) == "BLOB_UPLOAD_INVALID"

    run(tmp_path, scenario)


def test_stars_bodies_past_the_parsers_or_clients_limits_are_400(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        await reg.push_blob("r", b"x")
        url = "/wharf/v1/repositories/r/stars"
        for body in (b"[" * 4000, json.dumps({"stars": 1 << 31}).encode()):
            resp = await reg.client.put(url, data=body)
            assert resp.status == 400, (body[:20], resp.status)
        assert (await reg.client.put(url, data=b'{"stars": 2147483647}')).status == 200

    run(tmp_path, scenario)


def test_a_never_ending_chunked_manifest_is_cut_at_the_limit(tmp_path: Path) -> None:
    generated = [0]

    async def endless() -> AsyncIterator[bytes]:
        while generated[0] < 256 << 20:  # bounded for the test's own sake
            generated[0] += 1 << 16
            yield b" " * (1 << 16)

    async def scenario(reg: Reg) -> None:
        try:
            resp = await reg.client.put(
                "/v2/r/manifests/t", data=endless(), headers={"Content-Type": OCI_MANIFEST}
            )
            assert resp.status == 413
        except aiohttp.ClientError:
            pass  # the server may close while the client is still writing
        assert generated[0] < 64 << 20
        assert (await reg.client.get("/v2/")).status == 200

    run(tmp_path, scenario)
