"""``/networks/*``: list, inspect, create, remove, prune, and connecting containers (the use
case is the container service's: ``ContainerService.connect_network``/``disconnect_network``)."""

from __future__ import annotations

import builtins
import inspect
from collections.abc import Mapping
from typing import Any, Protocol

import msgspec
from aiohttp import web

from wharf.api.decode import BodyDecoder
from wharf.api.schemas import json_response, no_content, query_filters
from wharf.api.server import RouteDef
from wharf.services.containers import ContainerService
from wharf.services.engine_types import (
    NetworkConnectRequest,
    NetworkCreateRequest,
    NetworkDisconnectRequest,
)


class NetworkUseCases(Protocol):
    """``services.networks.NetworkService`` as the routes see it (the api layer never
    reaches ``wharf.network``, which the service builds on)."""

    def list(self, filters: Mapping[str, list[str]]) -> list[dict[str, Any]]: ...
    def inspect(self, ref: str, scope: str = "") -> dict[str, Any]: ...
    async def create(self, body: NetworkCreateRequest) -> dict[str, str]: ...
    async def remove(self, ref: str) -> None: ...
    async def prune(self, filters: Mapping[str, builtins.list[str]]) -> dict[str, Any]: ...


CREATE_BODY = BodyDecoder(NetworkCreateRequest)
CONNECT_BODY = BodyDecoder(NetworkConnectRequest)
DISCONNECT_BODY = BodyDecoder(NetworkDisconnectRequest)


class NetworkRoutes:
    def __init__(self, networks: NetworkUseCases, containers: ContainerService) -> None:
        self._n = networks
        self._c = containers

    async def list(self, request: web.Request) -> web.Response:
        return json_response(self._n.list(query_filters(request)))

    async def inspect(self, request: web.Request) -> web.Response:
        """``verbose`` only adds swarm services (none here): accepted, as dockerd does for a
        local network."""
        return json_response(self._n.inspect(request.match_info["id"],
                                             request.query.get("scope", "")))

    async def create(self, request: web.Request) -> web.Response:
        body = await CREATE_BODY.read(request, required=True)
        return json_response(await self._n.create(body), status=201)

    async def remove(self, request: web.Request) -> web.Response:
        await self._n.remove(request.match_info["id"])
        return no_content()

    async def prune(self, request: web.Request) -> web.Response:
        return json_response(await self._n.prune(query_filters(request)))

    async def connect(self, request: web.Request) -> web.Response:
        body = await CONNECT_BODY.read(request, required=True)
        config = (msgspec.to_builtins(body.endpoint_config)
                  if body.endpoint_config is not None else None)
        outcome = self._c.connect_network(body.container or "", request.match_info["id"],
                                          config)
        if inspect.isawaitable(outcome):
            await outcome
        return web.Response(status=200)

    async def disconnect(self, request: web.Request) -> web.Response:
        body = await DISCONNECT_BODY.read(request, required=True)
        outcome = self._c.disconnect_network(body.container or "", request.match_info["id"],
                                             bool(body.force))
        if inspect.isawaitable(outcome):
            await outcome
        return web.Response(status=200)


def routes(networks: NetworkUseCases, containers: ContainerService) -> list[RouteDef]:
    r = NetworkRoutes(networks, containers)
    return [
        RouteDef("GET", "/networks", r.list),
        RouteDef("GET", "/networks/{id}", r.inspect),
        RouteDef("POST", "/networks/create", r.create),
        RouteDef("DELETE", "/networks/{id}", r.remove),
        RouteDef("POST", "/networks/prune", r.prune),
        RouteDef("POST", "/networks/{id}/connect", r.connect),
        RouteDef("POST", "/networks/{id}/disconnect", r.disconnect),
    ]
