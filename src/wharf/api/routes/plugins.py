"""Plugin endpoints: wharf has no plugins. The list is empty and a named plugin is not found,
in dockerd's words; installing one (pull, create, privileges, upgrade) is a 400."""

from __future__ import annotations

from aiohttp import web

from wharf.api.schemas import json_response
from wharf.api.server import RouteDef
from wharf.core.errors import InvalidParameter, NotFound

NO_PLUGINS = "plugins are not supported by wharf"


async def empty_list(_request: web.Request) -> web.Response:
    return json_response([])


async def not_found(request: web.Request) -> web.Response:
    raise NotFound(f'plugin "{request.match_info["name"]}" not found')


async def not_supported(_request: web.Request) -> web.Response:
    raise InvalidParameter(NO_PLUGINS)


_NAMED = [("GET", "/json"), ("DELETE", ""), ("POST", "/enable"), ("POST", "/disable"),
          ("POST", "/set"), ("POST", "/push"), ("POST", "/upgrade")]


def routes() -> list[RouteDef]:
    return ([RouteDef("GET", "/plugins", empty_list),
             RouteDef("GET", "/plugins/privileges", not_supported),
             RouteDef("POST", "/plugins/pull", not_supported),
             RouteDef("POST", "/plugins/create", not_supported)]
            + [RouteDef(method, "/plugins/{name:.+?}" + suffix, not_found)
               for method, suffix in _NAMED])
