"""``/networks`` over HTTP: real routes on the network service (recording driver), Docker's
statuses and bodies; connect/disconnect hand the container service a plain JSON object."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from tests.unit.services.networks_fakes import Harness

from wharf.api.routes.networks import routes
from wharf.api.server import build_app

Client = TestClient[web.Request, web.Application]


class FakeContainers:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def connect_network(self, container: str, network: str,
                              config: dict[str, Any] | None) -> None:
        self.calls.append(("connect", container, network, config))

    def disconnect_network(self, container: str, network: str, force: bool) -> None:
        self.calls.append(("disconnect", container, network, force))


async def _body(resp: Any) -> Any:
    text = await resp.text()
    return json.loads(text) if text else None


def test_routes(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    containers = FakeContainers()

    async def scenario() -> None:
        await harness.service.start(set())
        client = TestClient(TestServer(build_app(routes(harness.service, containers))))  # type: ignore[arg-type]
        await client.start_server()
        try:
            made = await client.post("/v1.47/networks/create", json={
                "Name": "n1", "CheckDuplicate": True, "Labels": {"a": "b"},
                "IPAM": {"Driver": "default", "Config": [{"Subnet": "10.66.0.0/24"}]}})
            assert made.status == 201
            created = await _body(made)
            assert set(created) == {"Id", "Warning"} and created["Warning"] == ""
            bad = await client.post("/networks/create", json={"Name": "n2",
                                                               "IPAM": {"Config": "x"}})
            assert bad.status == 400 and "IPAM.Config" in (await _body(bad))["message"]
            empty = await client.post("/networks/create", data=b"")
            assert empty.status == 400
            dup = await client.post("/networks/create", json={"Name": "n1"})
            assert dup.status == 409
            listed = await client.get('/networks?filters={"label":["a=b"]}')
            assert [n["Name"] for n in await _body(listed)] == ["n1"]
            missing = await client.get("/networks/nope")
            assert missing.status == 404
            assert (await _body(missing))["message"] == "network nope not found"
            got = await client.get(f"/networks/{created['Id'][:8]}?verbose=true&scope=local")
            assert (await _body(got))["Name"] == "n1"
            connect = await client.post("/networks/n1/connect", json={
                "Container": "c1", "EndpointConfig": {"Aliases": ["x"],
                                                      "IPAMConfig": {"IPv4Address": "10.66.0.5"}}})
            assert connect.status == 200
            disconnect = await client.post("/networks/n1/disconnect",
                                           json={"Container": "c1", "Force": True})
            assert disconnect.status == 200
            assert containers.calls == [
                ("connect", "c1", "n1", {"IPAMConfig": {"IPv4Address": "10.66.0.5"},
                                         "Aliases": ["x"]}),
                ("disconnect", "c1", "n1", True)]
            assert (await client.delete("/networks/n1")).status == 204
            pruned = await client.post("/networks/prune")
            assert await _body(pruned) == {"NetworksDeleted": None}
            refused = await client.delete("/networks/host")
            assert refused.status == 403
        finally:
            await client.close()

    asyncio.run(scenario())
