"""tags/list and _catalog, with n/last pagination and Link headers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from tests.unit.registry.server.harness import Reg, error_code, run


def test_tags_are_sorted_and_paginated_with_link(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        _, body = await reg.push_image("r", "b", [b"l"])
        for tag in ("a", "d", "c", "e"):
            await reg.put_manifest("r", tag, body)
        resp = await reg.client.get("/v2/r/tags/list")
        assert await resp.json() == {"name": "r", "tags": ["a", "b", "c", "d", "e"]}
        assert "Link" not in resp.headers
        resp = await reg.client.get("/v2/r/tags/list?n=2")
        assert (await resp.json())["tags"] == ["a", "b"]
        assert resp.headers["Link"] == '</v2/r/tags/list?n=2&last=b>; rel="next"'
        resp = await reg.client.get("/v2/r/tags/list?n=2&last=b")
        assert (await resp.json())["tags"] == ["c", "d"]
        resp = await reg.client.get("/v2/r/tags/list?n=2&last=d")
        assert (await resp.json())["tags"] == ["e"]
        assert "Link" not in resp.headers
        resp = await reg.client.get("/v2/r/tags/list?n=0")
        assert (await resp.json())["tags"] == []

    run(tmp_path, scenario)


def test_tags_of_an_unknown_repository_and_bad_n(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        resp = await reg.client.get("/v2/nope/tags/list")
        assert resp.status == 404
        assert await error_code(resp) == "NAME_UNKNOWN"
        await reg.push_image("r", "t", [b"l"])
        for n in ("-1", "x", "1.5"):
            resp = await reg.client.get(f"/v2/r/tags/list?n={n}")
            assert resp.status == 400
            assert await error_code(resp) == "PAGINATION_NUMBER_INVALID"

    run(tmp_path, scenario)


def test_catalog_lists_nested_repositories_with_pagination(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        assert await (await reg.client.get("/v2/_catalog")).json() == {"repositories": []}
        for name in ("zeta", "a/b/c", "a", "library/busybox"):
            await reg.push_image(name, "t", [b"l"])
        await reg.push_blob("blobs-only", b"x")
        resp = await reg.client.get("/v2/_catalog")
        expected = ["a", "a/b/c", "blobs-only", "library/busybox", "zeta"]
        assert (await resp.json())["repositories"] == expected
        resp = await reg.client.get("/v2/_catalog?n=3")
        assert (await resp.json())["repositories"] == expected[:3]
        assert resp.headers["Link"] == '</v2/_catalog?n=3&last=blobs-only>; rel="next"'
        resp = await reg.client.get("/v2/_catalog?n=3&last=blobs-only")
        assert (await resp.json())["repositories"] == expected[3:]

    run(tmp_path, scenario)


def test_catalog_and_search_do_not_rescan_the_tree_per_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans: list[str] = []
    real_scandir = os.scandir

    def counting_scandir(path: Any) -> Any:
        if "repositories" in str(path):  # shutil.rmtree scans upload directories too
            scans.append(str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", counting_scandir)

    async def scenario(reg: Reg) -> None:
        digest = await reg.push_blob("a/one", b"x")
        assert (await (await reg.client.get("/v2/_catalog")).json())["repositories"] == ["a/one"]
        scans.clear()
        for _ in range(5):
            assert (await reg.client.get("/v2/_catalog?n=1")).status == 200
            assert (await reg.client.get("/v1/search?q=a")).status == 200
        assert scans == []
        await reg.push_blob("b/two", b"y")
        resp = await reg.client.post(f"/v2/c/blobs/uploads/?mount={digest}&from=a/one")
        assert resp.status == 201
        await reg.push_image("d", "t", [b"z"])
        catalog = await (await reg.client.get("/v2/_catalog")).json()
        assert catalog["repositories"] == ["a/one", "b/two", "c", "d"]
        assert scans == []
        stars = await reg.client.put("/wharf/v1/repositories/d/stars", data=b'{"stars": 7}')
        assert stars.status == 200
        found = await (await reg.client.get("/v1/search?q=")).json()
        assert found["results"][0]["name"] == "d"

    run(tmp_path, scenario)
