"""An in-process wharfd API (real routes and services, fake lower layers) for API tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from tests.unit.services.fakes import World

from wharf.api.routes import containers as container_routes
from wharf.api.routes import exec as exec_routes
from wharf.api.routes import system as system_routes
from wharf.api.server import build_app
from wharf.services.containers import ContainerService
from wharf.services.exec import ExecService
from wharf.services.system import DaemonFacts, SystemService


@dataclass
class Api:
    client: TestClient[web.Request, web.Application]
    world: World
    containers: ContainerService
    execs: ExecService

    async def create(self, name: str = "", **body: object) -> str:
        body.setdefault("Image", "busybox")
        url = "/v1.47/containers/create" + (f"?name={name}" if name else "")
        resp = await self.client.post(url, json=body)
        assert resp.status == 201, await resp.text()
        return str((await resp.json())["Id"])


@contextlib.asynccontextmanager
async def api(root: Path) -> AsyncIterator[Api]:
    world = World(root)
    containers = world.containers()
    execs = ExecService(containers, world.spec, world.events)
    facts = DaemonFacts(data_root=root / "data", daemon_id="X" * 12,
                        runtimes={"wharf": "wharf"}, default_runtime="wharf",
                        live_restore=True, registry_mirrors=[], insecure_registries=[],
                        cgroup_version="1")
    system = SystemService(facts, containers, world.images.list, world.events)
    routes = [*system_routes.routes(system, world.events),
              *container_routes.routes(containers), *exec_routes.routes(execs)]
    client = TestClient(TestServer(build_app(routes)))
    await client.start_server()
    try:
        yield Api(client, world, containers, execs)
    finally:
        await containers.shutdown()
        await client.close()
