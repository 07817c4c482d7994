"""``/volumes``: list, create, inspect, remove, prune (Engine API v1.47)."""

from __future__ import annotations

import msgspec
from aiohttp import web

from wharf.api.decode import BodyDecoder
from wharf.api.schemas import json_response, no_content, query_bool, query_filters
from wharf.api.server import RouteDef
from wharf.core.errors import InvalidParameter
from wharf.services.volumes import VolumeService


class VolumeCreateBody(msgspec.Struct, kw_only=True):
    """``VolumeCreateOptions`` of the swagger (swarm's ClusterVolumeSpec is refused)."""

    Name: str | None = None
    Driver: str | None = None
    DriverOpts: dict[str, str] | None = None
    Labels: dict[str, str] | None = None
    ClusterVolumeSpec: dict[str, object] | None = None


CREATE_BODY = BodyDecoder(VolumeCreateBody)


class VolumeRoutes:
    def __init__(self, volumes: VolumeService) -> None:
        self._volumes = volumes

    async def list(self, request: web.Request) -> web.Response:
        return json_response(self._volumes.listing(query_filters(request)))

    async def create(self, request: web.Request) -> web.Response:
        body = await CREATE_BODY.read(request)
        if body.ClusterVolumeSpec:
            raise InvalidParameter("cluster volumes are not supported (no swarm)")
        created = self._volumes.create(body.Name or "", body.Driver or "", body.DriverOpts,
                                       body.Labels)
        return json_response(created, status=201)

    async def inspect(self, request: web.Request) -> web.Response:
        return json_response(self._volumes.inspect(request.match_info["name"]))

    async def remove(self, request: web.Request) -> web.Response:
        await self._volumes.remove(request.match_info["name"], query_bool(request, "force"))
        return no_content()

    async def prune(self, request: web.Request) -> web.Response:
        return json_response(await self._volumes.prune(query_filters(request)))



def routes(volumes: VolumeService) -> list[RouteDef]:
    r = VolumeRoutes(volumes)
    return [
        RouteDef("GET", "/volumes", r.list),
        RouteDef("POST", "/volumes/create", r.create),
        RouteDef("POST", "/volumes/prune", r.prune),
        RouteDef("GET", "/volumes/{name}", r.inspect),
        RouteDef("DELETE", "/volumes/{name}", r.remove),
    ]
