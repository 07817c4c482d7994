"""``GET /containers/{id}/stats`` and ``POST /containers/{id}/update``."""

from __future__ import annotations

import contextlib
import json

from aiohttp import web

from wharf.api.decode import BodyDecoder
from wharf.api.schemas import json_response, query_bool
from wharf.api.server import RouteDef, until_disconnected
from wharf.services.container_stats import ContainerStatsService
from wharf.services.container_update import ContainerUpdateService, UpdateBody

UPDATE_BODY = BodyDecoder(UpdateBody)


class StatsRoutes:
    def __init__(self, stats: ContainerStatsService, updates: ContainerUpdateService) -> None:
        self._stats = stats
        self._updates = updates

    async def stats(self, request: web.Request) -> web.StreamResponse:
        ref = request.match_info["id"]
        self._stats.get(ref)  # 404 before anything is sent
        stream = query_bool(request, "stream", default=True)
        samples = self._stats.samples(ref, stream, one_shot=query_bool(request, "one-shot"))
        if not stream:
            sample = await anext(samples)
            await samples.aclose()
            return json_response(sample)
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)  # headers now: clients wait for them before a sample

        async def send() -> None:
            async for sample in samples:
                await response.write((json.dumps(sample, separators=(",", ":")) + "\n")
                                     .encode())

        await until_disconnected(request, send())
        with contextlib.suppress(ConnectionError):
            await response.write_eof()
        return response

    async def update(self, request: web.Request) -> web.Response:
        body = await UPDATE_BODY.read(request)
        warnings = await self._updates.update(request.match_info["id"], body)
        return json_response({"Warnings": warnings or None})  # dockerd: null when none


def routes(stats: ContainerStatsService, updates: ContainerUpdateService) -> list[RouteDef]:
    r = StatsRoutes(stats, updates)
    return [RouteDef("GET", "/containers/{id}/stats", r.stats),
            RouteDef("POST", "/containers/{id}/update", r.update)]
