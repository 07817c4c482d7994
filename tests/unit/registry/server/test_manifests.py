"""Manifests: PUT validated and stored byte-exact, GET/HEAD by tag and digest, DELETE."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.registry.server.harness import (
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    Reg,
    digest_of,
    error_code,
    run,
)


def test_put_then_get_and_head_by_tag_and_digest_are_byte_exact(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        digest, body = await reg.push_image("lib/app", "v1", [b"layer one", b"layer two"])
        for reference in ("v1", digest):
            resp = await reg.client.get(f"/v2/lib/app/manifests/{reference}")
            assert resp.status == 200
            assert await resp.read() == body  # the indent=1 formatting is kept
            assert resp.headers["Content-Type"] == OCI_MANIFEST
            assert resp.headers["Docker-Content-Digest"] == digest
            head = await reg.client.head(f"/v2/lib/app/manifests/{reference}")
            assert head.status == 200
            assert head.headers["Content-Length"] == str(len(body))
            assert head.headers["Docker-Content-Digest"] == digest
        blob = await reg.client.get(f"/v2/lib/app/blobs/{digest}")
        assert await blob.read() == body

    run(tmp_path, scenario)


def test_put_answers_201_with_location_and_digest(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        body = await reg.image_manifest("r", [b"l"])
        resp = await reg.put_manifest("r", "latest", body)
        assert resp.status == 201
        assert resp.headers["Docker-Content-Digest"] == digest_of(body)
        assert resp.headers["Location"].endswith(f"/v2/r/manifests/{digest_of(body)}")

    run(tmp_path, scenario)


def test_a_docker_schema2_manifest_without_media_type_field_takes_the_header(
    tmp_path: Path,
) -> None:
    async def scenario(reg: Reg) -> None:
        document = json.loads(await reg.image_manifest("r", [b"l"]))
        del document["mediaType"]
        body = json.dumps(document).encode()
        assert (await reg.put_manifest("r", "t", body, DOCKER_MANIFEST)).status == 201
        resp = await reg.client.get("/v2/r/manifests/t")
        assert resp.headers["Content-Type"] == DOCKER_MANIFEST

    run(tmp_path, scenario)


def test_malformed_manifests_are_manifest_invalid_and_store_nothing(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        good = json.loads(await reg.image_manifest("r", [b"l"]))
        bad_bodies: list[tuple[bytes, str]] = [
            (b"{not json", OCI_MANIFEST),
            (b"\xff\xfe", OCI_MANIFEST),
            (b"[1, 2]", OCI_MANIFEST),
            (json.dumps({**good, "schemaVersion": 1}).encode(), OCI_MANIFEST),
            (json.dumps({**good, "schemaVersion": True}).encode(), OCI_MANIFEST),
            (
                json.dumps({**good, "mediaType": "application/x-unknown"}).encode(),
                "application/x-unknown",
            ),
            (json.dumps(good).encode(), DOCKER_MANIFEST),  # mediaType field disagrees
            (
                json.dumps({k: v for k, v in good.items() if k != "mediaType"}).encode(),
                "application/json",
            ),
            (json.dumps({**good, "config": "x"}).encode(), OCI_MANIFEST),
            (json.dumps({**good, "layers": {}}).encode(), OCI_MANIFEST),
            (
                json.dumps({**good, "layers": [{**good["layers"][0], "size": -1}]}).encode(),
                OCI_MANIFEST,
            ),
            (
                json.dumps(
                    {**good, "layers": [{**good["layers"][0], "digest": "sha256:12"}]}
                ).encode(),
                OCI_MANIFEST,
            ),
            (
                json.dumps({**good, "layers": [{**good["layers"][0], "mediaType": 5}]}).encode(),
                OCI_MANIFEST,
            ),
        ]
        for body, media_type in bad_bodies:
            resp = await reg.put_manifest("r", "bad", body, media_type)
            assert resp.status == 400, body
            assert await error_code(resp) == "MANIFEST_INVALID", body
        assert (await reg.client.get("/v2/r/manifests/bad")).status == 404
        assert (await reg.client.get("/v2/r/tags/list")).status == 200
        assert (await (await reg.client.get("/v2/r/tags/list")).json())["tags"] == []

    run(tmp_path, scenario)


def test_a_manifest_naming_an_unknown_or_missized_blob_is_refused(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        good = json.loads(await reg.image_manifest("r", [b"layer"]))
        unknown = {**good["layers"][0], "digest": digest_of(b"never pushed")}
        resp = await reg.put_manifest("r", "t", json.dumps({**good, "layers": [unknown]}).encode())
        assert resp.status == 400
        body = await resp.json()
        assert body["errors"][0]["code"] == "MANIFEST_BLOB_UNKNOWN"
        assert body["errors"][0]["detail"]["digest"] == digest_of(b"never pushed")
        missized = {**good["layers"][0], "size": 999}
        resp = await reg.put_manifest("r", "t", json.dumps({**good, "layers": [missized]}).encode())
        assert await error_code(resp) == "MANIFEST_INVALID"
        # a blob of another repository is not visible here
        resp = await reg.put_manifest("elsewhere", "t", json.dumps(good).encode())
        assert await error_code(resp) == "MANIFEST_BLOB_UNKNOWN"
        # a foreign layer (with urls) need not be in the registry
        foreign = {**unknown, "urls": ["http://127.0.0.1:1/layer"]}
        resp = await reg.put_manifest("r", "t", json.dumps({**good, "layers": [foreign]}).encode())
        assert resp.status == 201

    run(tmp_path, scenario)


def test_put_by_digest_checks_the_digest_and_applies_tag_queries(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        body = await reg.image_manifest("r", [b"l"])
        resp = await reg.put_manifest("r", digest_of(b"other"), body)
        assert resp.status == 400
        assert await error_code(resp) == "DIGEST_INVALID"
        resp = await reg.client.put(
            f"/v2/r/manifests/{digest_of(body)}?tag=a&tag=b",
            data=body,
            headers={"Content-Type": OCI_MANIFEST},
        )
        assert resp.status == 201
        assert resp.headers.getall("OCI-Tag") == ["a", "b"]
        assert (await (await reg.client.get("/v2/r/tags/list")).json())["tags"] == ["a", "b"]
        resp = await reg.put_manifest("r", "-bad-tag", body)
        assert await error_code(resp) == "MANIFEST_INVALID"

    run(tmp_path, scenario)


def test_an_index_needs_its_child_manifests_in_the_repository(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        child, child_body = await reg.push_image("r", "amd64", [b"l"])
        entry = {"mediaType": OCI_MANIFEST, "digest": child, "size": len(child_body)}
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [entry]}
        body = json.dumps(index).encode()
        assert (await reg.put_manifest("r", "multi", body, OCI_INDEX)).status == 201
        resp = await reg.client.get("/v2/r/manifests/multi")
        assert resp.headers["Content-Type"] == OCI_INDEX
        assert await resp.read() == body
        missing = {**entry, "digest": digest_of(b"no such manifest")}
        body = json.dumps({**index, "manifests": [missing]}).encode()
        resp = await reg.put_manifest("r", "broken", body, OCI_INDEX)
        assert await error_code(resp) == "MANIFEST_BLOB_UNKNOWN"

    run(tmp_path, scenario)


def test_a_manifest_past_the_size_limit_is_413(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        body = json.dumps({"schemaVersion": 2, "padding": "x" * 5000}).encode()
        resp = await reg.put_manifest("r", "big", body)
        assert resp.status == 413
        assert await error_code(resp) == "SIZE_INVALID"

    run(tmp_path, scenario, max_manifest_size=4096)


def test_unknown_manifests_are_404_manifest_unknown(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        await reg.push_image("r", "v1", [b"l"])
        for path in (
            "/v2/r/manifests/v2",
            f"/v2/r/manifests/{digest_of(b'x')}",
            "/v2/nosuchrepo/manifests/latest",
        ):
            for method in ("GET", "HEAD", "DELETE"):
                resp = await reg.client.request(method, path)
                assert resp.status == 404, (method, path)
            assert await error_code(await reg.client.get(path)) == "MANIFEST_UNKNOWN"

    run(tmp_path, scenario)


def test_delete_by_tag_removes_the_tag_and_by_digest_every_tag(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        digest, body = await reg.push_image("r", "one", [b"l"])
        await reg.put_manifest("r", "two", body)
        await reg.put_manifest("r", "three", body)
        assert (await reg.client.delete("/v2/r/manifests/one")).status == 202
        assert (await reg.client.get("/v2/r/manifests/one")).status == 404
        assert (await reg.client.get(f"/v2/r/manifests/{digest}")).status == 200
        assert (await reg.client.delete(f"/v2/r/manifests/{digest}")).status == 202
        assert (await reg.client.get("/v2/r/manifests/two")).status == 404
        assert (await (await reg.client.get("/v2/r/tags/list")).json())["tags"] == []

    run(tmp_path, scenario)


def test_retagging_moves_the_tag(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        await reg.push_image("r", "latest", [b"old"])
        new, _ = await reg.push_image("r", "latest", [b"new"])
        resp = await reg.client.head("/v2/r/manifests/latest")
        assert resp.headers["Docker-Content-Digest"] == new

    run(tmp_path, scenario)


def test_a_subject_naming_an_absent_manifest_is_accepted(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        document = json.loads(await reg.image_manifest("r", [b"l"]))
        subject = {"mediaType": OCI_MANIFEST, "digest": digest_of(b"later"), "size": 5}
        body = json.dumps({**document, "subject": subject}).encode()
        resp = await reg.put_manifest("r", digest_of(body), body)
        assert resp.status == 201
        assert "OCI-Subject" not in resp.headers  # no referrers API: clients use the tag scheme

    run(tmp_path, scenario)
