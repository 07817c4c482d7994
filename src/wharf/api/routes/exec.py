"""``/containers/{id}/exec`` and ``/exec/{id}/...``."""

from __future__ import annotations

import msgspec
from aiohttp import web

from wharf.api.decode import BodyDecoder
from wharf.api.detach import detach_keys, watched
from wharf.api.hijack import serve_stream
from wharf.api.schemas import json_response, query_int
from wharf.api.server import RouteDef
from wharf.services.engine_types import ExecConfig, ExecStartConfig
from wharf.services.exec import ExecService
from wharf.services.protocols import StreamPort

EXEC_CONFIG = BodyDecoder(ExecConfig)
EXEC_START = BodyDecoder(ExecStartConfig)


class ExecRoutes:
    def __init__(self, execs: ExecService) -> None:
        self._e = execs

    async def create(self, request: web.Request) -> web.Response:
        body = await EXEC_CONFIG.read(request, required=True)
        record = self._e.create(request.match_info["id"], msgspec.to_builtins(body))
        return json_response({"Id": record.id}, status=201)

    async def start(self, request: web.Request) -> web.StreamResponse:
        body = await EXEC_START.read(request)
        exec_id = request.match_info["id"]
        detach = bool(body.detach)
        tty_override = body.tty
        if detach:
            await self._e.start(exec_id, True, tty_override)
            return web.Response(status=200)
        record = self._e.check_startable(exec_id, tty_override)
        keys = detach_keys(record.detach_keys, "escape")

        async def start_exec() -> StreamPort | None:  # after the 101: its output must follow it
            stream = await self._e.start(exec_id, False, tty_override)
            return watched(stream, keys, tty=record.tty, stdin=record.attach_stdin,
                           on_detach=lambda: self._e.detached(record))

        return await serve_stream(request, start_exec, tty=record.tty,
                                  stdin=record.attach_stdin)

    async def inspect(self, request: web.Request) -> web.Response:
        return json_response(self._e.get(request.match_info["id"]).to_docker())

    async def resize(self, request: web.Request) -> web.Response:
        await self._e.resize(request.match_info["id"], query_int(request, "h", 0) or 0,
                             query_int(request, "w", 0) or 0)
        return web.Response(status=200)


def routes(execs: ExecService) -> list[RouteDef]:
    r = ExecRoutes(execs)
    return [
        RouteDef("POST", "/containers/{id}/exec", r.create),
        RouteDef("POST", "/exec/{id}/start", r.start),
        RouteDef("GET", "/exec/{id}/json", r.inspect),
        RouteDef("POST", "/exec/{id}/resize", r.resize),
    ]
