"""``/_ping``, ``/version``, ``/info``, ``/events``, ``/system/df`` (and the swarm endpoints'
answers outside a swarm, :mod:`wharf.api.routes.swarm`; no plugins,
:mod:`wharf.api.routes.plugins`)."""

from __future__ import annotations

import contextlib
import json
import time

from aiohttp import web

from wharf.api.routes import plugins, swarm
from wharf.api.schemas import container_summary, json_response, query_filters
from wharf.api.server import RouteDef, requested_api_version, until_disconnected
from wharf.core.apiversion import version_tuple
from wharf.core.errors import InvalidParameter
from wharf.services.disk_usage import df_types
from wharf.services.events import EventBus, EventFilter, parse_event_time
from wharf.services.system import SystemService

_PING_HEADERS = {
    "Cache-Control": "no-cache, no-store, must-revalidate",
    "Pragma": "no-cache",
    "Builder-Version": "1",
    "Swarm": "inactive",
}


class SystemRoutes:
    def __init__(self, system: SystemService, events: EventBus) -> None:
        self._system = system
        self._events = events

    async def ping(self, request: web.Request) -> web.Response:
        body = "" if request.method == "HEAD" else "OK"
        return web.Response(text=body, headers=_PING_HEADERS,
                            content_type="text/plain", charset="utf-8")

    async def version(self, _request: web.Request) -> web.Response:
        return json_response(self._system.version())

    async def info(self, _request: web.Request) -> web.Response:
        return json_response(self._system.info())

    async def disk_usage(self, request: web.Request) -> web.Response:
        typed = version_tuple(requested_api_version(request)) >= (1, 42)
        kinds = df_types(request.query.getall("type", []) if typed else None)
        now = time.time()
        return json_response(await self._system.disk_usage(
            kinds, lambda record: container_summary(record, now)))

    async def events(self, request: web.Request) -> web.StreamResponse:
        now = time.time()
        since = parse_event_time(request.query.get("since", ""), now)
        until = parse_event_time(request.query.get("until", ""), now)
        if since is not None and until is not None and until < since:
            raise InvalidParameter(f"`since` time ({request.query['since']}) cannot be after "
                                   f"`until` time ({request.query['until']})")
        event_filter = EventFilter(query_filters(request))
        event_filter.matches_validated()
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)

        async def send_events() -> None:
            async for event in self._events.stream(since, until, event_filter):
                await response.write((json.dumps(event.to_docker()) + "\n").encode())

        await until_disconnected(request, send_events())
        with contextlib.suppress(ConnectionError):
            await response.write_eof()
        return response


def routes(system: SystemService, events: EventBus) -> list[RouteDef]:
    r = SystemRoutes(system, events)
    return [
        RouteDef("GET", "/_ping", r.ping),
        RouteDef("HEAD", "/_ping", r.ping),
        RouteDef("GET", "/version", r.version),
        RouteDef("GET", "/info", r.info),
        RouteDef("GET", "/events", r.events),
        RouteDef("GET", "/system/df", r.disk_usage),
        *swarm.routes(),  # (no swarm: dockerd's answers outside one)
        *plugins.routes(),  # (no plugins)
    ]
