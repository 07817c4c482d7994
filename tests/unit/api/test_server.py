"""Version prefixes, identity headers, error shapes, ping, version, info."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.unit.api.harness import api


def test_ping_get_and_head_with_docker_headers(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with api(tmp_path) as a:
            resp = await a.client.get("/_ping")
            assert resp.status == 200
            assert await resp.text() == "OK"
            assert resp.headers["Api-Version"] == "1.47"
            assert resp.headers["Ostype"] == "linux"
            assert resp.headers["Docker-Experimental"] == "false"
            assert resp.headers["Server"].startswith("Docker/") and "(linux)" in resp.headers[
                "Server"]
            assert resp.headers["Cache-Control"] == "no-cache, no-store, must-revalidate"
            assert resp.headers["Pragma"] == "no-cache"
            head = await a.client.head("/v1.41/_ping")
            assert head.status == 200
            assert head.headers["Api-Version"] == "1.47"
    asyncio.run(scenario())


def test_versions_outside_the_range_are_refused(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with api(tmp_path) as a:
            old = await a.client.get("/v1.12/version")
            assert old.status == 400
            assert (await old.json())["message"] == (
                "client version 1.12 is too old. Minimum supported API version is 1.24, "
                "please upgrade your client to a newer version")
            new = await a.client.get("/v1.99/version")
            assert new.status == 400
            assert "client version 1.99 is too new. Maximum supported API version is 1.47" in (
                await new.json())["message"]
            assert (await a.client.get("/v1.24/version")).status == 200
            assert (await a.client.get("/version")).status == 200
    asyncio.run(scenario())


def test_unknown_route_and_wrong_method_are_docker_404(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with api(tmp_path) as a:
            for resp in (await a.client.get("/v1.47/nope"), await a.client.delete("/_ping")):
                assert resp.status == 404
                assert await resp.json() == {"message": "page not found"}
                assert resp.headers["Api-Version"] == "1.47"
    asyncio.run(scenario())


def test_malformed_json_is_400(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with api(tmp_path) as a:
            resp = await a.client.post("/containers/create", data=b"{nope",
                                       headers={"Content-Type": "application/json"})
            assert resp.status == 400
            assert "invalid JSON" in (await resp.json())["message"]
    asyncio.run(scenario())


def test_version_and_info_shapes(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with api(tmp_path) as a:
            version = await (await a.client.get("/version")).json()
            assert version["ApiVersion"] == "1.47"
            assert version["MinAPIVersion"] == "1.24"
            assert version["Os"] == "linux"
            assert version["GoVersion"].startswith("python3")
            assert version["Components"][0]["Name"] == "Engine"
            await a.create("one")
            info = await (await a.client.get("/info")).json()
            assert info["Containers"] == 1 and info["ContainersStopped"] == 1
            assert info["Images"] == 1
            assert info["DefaultRuntime"] == "wharf"
            assert info["CgroupDriver"] == "cgroupfs"
            assert info["OSType"] == "linux"
            assert "name=seccomp,profile=builtin" in info["SecurityOptions"]
            assert info["DockerRootDir"] == str(tmp_path / "data")
    asyncio.run(scenario())


def test_an_event_stream_ends_when_its_client_leaves(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with api(tmp_path) as a:
            url = a.client.make_url("/events")
            reader, writer = await asyncio.open_connection(url.host, url.port)
            writer.write(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            await reader.readuntil(b"\r\n\r\n")
            assert a.world.events.listeners == 1
            writer.close()
            for _ in range(40):
                if a.world.events.listeners == 0:
                    break
                await asyncio.sleep(0.1)
            assert a.world.events.listeners == 0
    asyncio.run(scenario())
