"""``/images/json`` query options over HTTP: shared-size, manifests, and the older API
versions' shapes (real routes, real ImageService on a temporary data root)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.unit.store.test_images_api import Client, import_image, run

from wharf.services.images import ImageService

pytestmark = pytest.mark.root  # unpacking a layer keeps its files' owners (chown)


async def listed(client: Client, query: str) -> list[dict[str, Any]]:
    resp = await client.get(query)
    assert resp.status == 200, await resp.text()
    return list(json.loads(await resp.text()))


def test_list_options_and_older_shapes(tmp_path: Path) -> None:
    async def scenario(client: Client, _images: ImageService) -> None:
        tagged = await import_image(client, "repo=app&tag=1")
        untagged = await import_image(client, "message=other")
        new = {i["Id"]: i for i in await listed(client, "/v1.47/images/json")}
        assert new[untagged]["RepoTags"] == [] and new[untagged]["RepoDigests"] == []
        assert new[tagged]["SharedSize"] == -1
        shared = {i["Id"]: i for i in await listed(client, "/v1.47/images/json?shared-size=1")}
        assert shared[tagged]["SharedSize"] > 0  # both images stand on the same layer
        old = {i["Id"]: i for i in await listed(client, "/v1.41/images/json")}
        assert old[untagged]["RepoTags"] == ["<none>:<none>"]
        assert old[untagged]["RepoDigests"] == ["<none>@<none>"]
        assert old[tagged]["RepoTags"] == ["app:1"] and old[tagged]["RepoDigests"] is None
        assert "VirtualSize" in old[tagged]
        refused = await client.get("/v1.47/images/json?manifests=1")
        assert refused.status == 501
        assert "manifests" in json.loads(await refused.text())["message"]
        assert (await client.get("/v1.47/images/json?digests=1")).status == 200
        bad = await client.get('/v1.47/images/json?filters={"reference":["a["]}')
        assert bad.status == 400

    run(tmp_path, scenario)

