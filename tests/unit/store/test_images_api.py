"""``/images/*`` over HTTP: real routes, real ImageService on a temporary data root."""

from __future__ import annotations

import asyncio
import io
import json
import tarfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from wharf.api.routes.images import routes
from wharf.api.server import build_app
from wharf.services.images import ImageService
from wharf.store.content import ContentStore
from wharf.store.metadata import MetadataStore
from wharf.store.snapshots import NativeSnapshotter

pytestmark = pytest.mark.root  # unpacking a layer keeps its files' owners (chown)

Client = TestClient[web.Request, web.Application]
Scenario = Callable[[Client, ImageService], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario) -> None:
    async def main() -> None:
        db = MetadataStore(tmp_path / "metadata.db")
        images = ImageService(
            ContentStore(tmp_path / "content"), db, NativeSnapshotter(tmp_path / "native")
        )
        client = TestClient(TestServer(build_app(routes(images))))
        await client.start_server()
        try:
            await scenario(client, images)
        finally:
            await client.close()
            db.close()

    asyncio.run(main())


def rootfs_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in (("etc/hostname", b"box\n"), ("bin/tool", b"#!/bin/sh\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


async def import_image(client: Client, query: str) -> str:
    resp = await client.post(f"/v1.47/images/create?fromSrc=-&{query}", data=rootfs_tar())
    assert resp.status == 200, await resp.text()
    lines = [json.loads(line) for line in (await resp.text()).splitlines() if line]
    return str(lines[-1]["status"])


def test_import_inspect_list_history(tmp_path: Path) -> None:
    async def scenario(client: Client, _images: ImageService) -> None:
        image_id = await import_image(
            client,
            "repo=localhost:5000/team/app&tag=v1&changes=CMD%20%5B%22sh%22%5D"
            "&changes=ENV%20A%3D1&message=first",
        )
        assert image_id.startswith("sha256:")
        resp = await client.get("/v1.47/images/localhost:5000/team/app:v1/json")
        assert resp.status == 200
        info = await resp.json()
        assert info["Id"] == image_id and info["RepoTags"] == ["localhost:5000/team/app:v1"]
        assert info["Config"]["Cmd"] == ["sh"] and info["Config"]["Env"] == ["A=1"]
        assert info["Comment"] == "first"
        listed = await (await client.get("/images/json?all=1")).json()
        assert [i["Id"] for i in listed] == [image_id]
        filtered = await client.get('/images/json?filters={"dangling":["true"]}')
        assert await filtered.json() == []
        history = await (await client.get(f"/images/{image_id[7:19]}/history")).json()
        assert history[0]["Id"] == image_id and history[0]["Comment"] == "first"
        assert "VirtualSize" not in info and "ContainerConfig" not in info
        old = await (await client.get(f"/v1.41/images/{image_id}/json")).json()
        keys = list(old)
        assert keys[keys.index("Created") + 1 : keys.index("Created") + 3] == [
            "Container",
            "ContainerConfig",
        ]
        assert keys[keys.index("Size") + 1] == "VirtualSize" and old["VirtualSize"] == old["Size"]
        assert old["ContainerConfig"]["Cmd"] is None
        in_144 = await (await client.get(f"/v1.44/images/{image_id}/json")).json()
        assert "Container" in in_144 and "VirtualSize" not in in_144
        old_list = await (await client.get("/v1.43/images/json")).json()
        assert old_list[0]["VirtualSize"] == old_list[0]["Size"]

    run(tmp_path, scenario)


def test_tag_remove_and_errors(tmp_path: Path) -> None:
    async def scenario(client: Client, _images: ImageService) -> None:
        image_id = await import_image(client, "repo=base")
        resp = await client.post("/images/base/tag?repo=other&tag=2")
        assert resp.status == 201
        missing = await client.get("/v1.47/images/nope/json")
        assert missing.status == 404
        assert (await missing.json())["message"] == "No such image: nope"
        bad = await client.post("/images/base/tag?repo=Bad%20Name")
        assert bad.status == 400
        conflict = await client.delete(f"/images/{image_id}")
        assert conflict.status == 409
        assert "must be forced" in (await conflict.json())["message"]
        untag = await client.delete("/images/other:2")
        assert await untag.json() == [{"Untagged": "other:2"}]
        deleted = await (await client.delete("/images/base")).json()
        assert deleted[0] == {"Untagged": "base:latest"}
        assert {"Deleted": image_id} in deleted
        assert (await client.get("/images/json")).status == 200
        assert await (await client.get("/images/json")).json() == []
        no_source = await client.post("/images/create")
        assert no_source.status == 400
        garbage = await client.post("/images/create?fromSrc=-", data=b"\x1f\x8bnot gzip")
        assert garbage.status == 400
        url = await client.post("/images/create?fromSrc=http://127.0.0.1:9/rootfs.tar")
        assert url.status == 501
        message = (await url.json())["message"]
        assert message.startswith('importing from a URL is not supported: "http://127.0.0.1:9/')
        assert "fromSrc=-" in message

    run(tmp_path, scenario)


def test_save_load_and_prune(tmp_path: Path) -> None:
    async def scenario(client: Client, _images: ImageService) -> None:
        image_id = await import_image(client, "repo=saved&tag=1")
        saved = await client.get("/v1.47/images/get?names=saved:1")
        assert saved.status == 200 and saved.headers["Content-Type"] == "application/x-tar"
        data = await saved.read()
        assert (await client.delete("/images/saved:1")).status == 200
        loaded = await client.post("/v1.47/images/load?quiet=0", data=data)
        assert loaded.status == 200 and loaded.headers["Content-Type"] == "application/json"
        messages = [json.loads(line) for line in (await loaded.text()).splitlines()]
        assert messages[-1] == {"stream": "Loaded image: saved:1\n"}
        assert {m.get("status") for m in messages[:-1]} == {"Loading layer"}  # not quiet
        single = await client.get("/images/saved:1/get")
        assert await single.read() == data
        dangling = await import_image(client, "message=other")  # same layer, other config
        pruned = await (await client.post("/images/prune")).json()
        assert pruned == {"ImagesDeleted": [{"Deleted": dangling}], "SpaceReclaimed": 0}
        listed = await (await client.get("/images/json")).json()
        assert [i["Id"] for i in listed] == [image_id]

    run(tmp_path, scenario)
