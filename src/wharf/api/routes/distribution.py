"""Registry endpoints: pull (``POST /images/create?fromImage=``, dispatched from the images
routes), ``POST /images/{name}/push``, ``POST /auth``, ``GET /images/search`` and
``GET /distribution/{name}/json``.

Pull and push stream Docker's JSON progress messages (one per line, ``\\r\\n``, Content-Type
exactly ``application/json``). As dockerd, a failure before the first message is an HTTP error
with its status; after it, the stream ends with an ``errorDetail`` message. A client that goes
away cancels the transfer (a partial layer is kept for the next pull).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

from aiohttp import web

from wharf.api.message_stream import MessageStream
from wharf.api.schemas import json_response, query_filters, query_int
from wharf.api.server import RouteDef
from wharf.core.errors import InvalidParameter, WharfError
from wharf.services.image_pull import PullOptions, PullService, pull_reference
from wharf.services.image_push import PushService, push_reference
from wharf.services.progress import ProgressSink, error_message
from wharf.services.registry_service import RegistryService, decode_registry_auth

__all__ = ["DistributionRoutes", "routes"]

Work = Callable[[ProgressSink, threading.Event], None]


def _as_wharf_error(exc: BaseException) -> WharfError:
    return exc if isinstance(exc, WharfError) else WharfError(str(exc) or type(exc).__name__)


async def stream_progress(request: web.Request, work: Work) -> web.StreamResponse:
    """Run ``work`` in a thread and stream the messages it sends (``api.message_stream``).
    A client that leaves sets ``work``'s cancelled event: the transfer stops, and what it
    fetched is kept for a resumed one."""
    cancelled = threading.Event()

    async def run(sink: ProgressSink) -> None:
        try:
            await asyncio.to_thread(work, sink, cancelled)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    stream = MessageStream(request)
    try:
        await stream.run(run)
    except (asyncio.CancelledError, ConnectionError):
        raise
    except Exception as exc:
        error = _as_wharf_error(exc)
        if not stream.started:
            if error is exc:
                raise
            raise error from exc
        await stream.send(error_message(str(error)))
    return await stream.finish()


class DistributionRoutes:
    def __init__(self, pulls: PullService, pushes: PushService,
                 registry: RegistryService) -> None:
        self._pulls = pulls
        self._pushes = pushes
        self._registry = registry

    async def pull(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        ref = pull_reference(query.get("fromImage", ""), query.get("tag", ""))
        options = PullOptions(query.get("platform", ""), _auth(request))
        return await stream_progress(
            request, lambda sink, cancelled: self._pulls.pull(ref, options, sink, cancelled))

    async def push(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("platform"):
            raise InvalidParameter("pushing a single platform of an image is not supported")
        ref = push_reference(request.match_info["name"], request.query.get("tag", ""))
        auth = _auth(request)
        await asyncio.to_thread(self._pushes.local_tags, ref)  # 404 before the stream starts
        return await stream_progress(
            request, lambda sink, _cancelled: self._pushes.push(ref, auth, sink))

    async def auth(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError as exc:
            raise InvalidParameter(f"invalid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise InvalidParameter("invalid JSON: the request body must be a JSON object")
        return json_response(await asyncio.to_thread(self._registry.login, body))

    async def search(self, request: web.Request) -> web.Response:
        found = await asyncio.to_thread(
            self._registry.search, request.query.get("term", ""),
            query_int(request, "limit"), query_filters(request), _auth(request))
        return json_response(found)

    async def distribution(self, request: web.Request) -> web.Response:
        info: dict[str, Any] = await asyncio.to_thread(
            self._registry.distribution, request.match_info["name"], _auth(request))
        return json_response(info)


def _auth(request: web.Request) -> Any:
    return decode_registry_auth(request.headers.get("X-Registry-Auth", ""))


def routes(pulls: PullService, pushes: PushService,
           registry: RegistryService) -> tuple[DistributionRoutes, list[RouteDef]]:
    """The handlers (the images routes dispatch ``create?fromImage`` to ``pull``) and the
    routes of their own."""
    r = DistributionRoutes(pulls, pushes, registry)
    return r, [
        RouteDef("POST", "/images/{name:.*}/push", r.push),
        RouteDef("POST", "/auth", r.auth),
        RouteDef("GET", "/images/search", r.search),
        RouteDef("GET", "/distribution/{name:.*}/json", r.distribution),
    ]
