"""Swarm endpoints, as a dockerd that is in no swarm answers them: the listings and lookups
are dockerd's 503 "not a swarm manager", leaving or unlocking is its 503 "not part of a swarm";
joining or starting a swarm is a 400 (wharf has no swarm mode)."""

from __future__ import annotations

from aiohttp import web

from wharf.api.server import RouteDef
from wharf.core.errors import InvalidParameter, Unavailable

NOT_A_MANAGER = ('This node is not a swarm manager. Use "docker swarm init" or "docker swarm '
                 'join" to connect this node to swarm and try again.')
NOT_IN_A_SWARM = "This node is not part of a swarm"
NO_SWARM_MODE = "swarm mode is not supported by wharf"

_MANAGER_ONLY = [
    ("GET", "/swarm"), ("POST", "/swarm/update"),
    ("GET", "/services"), ("POST", "/services/create"), ("GET", "/services/{id}"),
    ("DELETE", "/services/{id}"), ("POST", "/services/{id}/update"),
    ("GET", "/services/{id}/logs"), ("GET", "/nodes"), ("GET", "/nodes/{id}"),
    ("DELETE", "/nodes/{id}"), ("POST", "/nodes/{id}/update"), ("GET", "/tasks"),
    ("GET", "/tasks/{id}"), ("GET", "/tasks/{id}/logs"),
    ("GET", "/secrets"), ("POST", "/secrets/create"), ("GET", "/secrets/{id}"),
    ("DELETE", "/secrets/{id}"), ("POST", "/secrets/{id}/update"),
    ("GET", "/configs"), ("POST", "/configs/create"), ("GET", "/configs/{id}"),
    ("DELETE", "/configs/{id}"), ("POST", "/configs/{id}/update"),
]
_SWARM_MEMBER_ONLY = [("POST", "/swarm/leave"), ("GET", "/swarm/unlockkey"),
                      ("POST", "/swarm/unlock")]
_NO_SWARM_MODE = [("POST", "/swarm/init"), ("POST", "/swarm/join")]


async def not_a_manager(_request: web.Request) -> web.Response:
    raise Unavailable(NOT_A_MANAGER)


async def not_in_a_swarm(_request: web.Request) -> web.Response:
    raise Unavailable(NOT_IN_A_SWARM)


async def no_swarm_mode(_request: web.Request) -> web.Response:
    raise InvalidParameter(NO_SWARM_MODE)


def routes() -> list[RouteDef]:
    return ([RouteDef(m, p, not_a_manager) for m, p in _MANAGER_ONLY]
            + [RouteDef(m, p, not_in_a_swarm) for m, p in _SWARM_MEMBER_ONLY]
            + [RouteDef(m, p, no_swarm_mode) for m, p in _NO_SWARM_MODE])
