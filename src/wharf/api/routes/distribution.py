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
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from wharf.api.schemas import json_response, query_filters, query_int
from wharf.api.server import RouteDef
from wharf.core.errors import InvalidParameter, WharfError
from wharf.services.image_pull import PullOptions, PullService, pull_reference
from wharf.services.image_push import PushService, push_reference
from wharf.services.progress import Message, ProgressSink, error_message
from wharf.services.registry_service import RegistryService, decode_registry_auth

__all__ = ["DistributionRoutes", "routes"]

Work = Callable[[ProgressSink, threading.Event], None]
_CONTENT_TYPE = "application/json"  # no charset: the docker CLI compares it verbatim


@dataclass(frozen=True)
class _End:
    error: BaseException | None = None


def _encode(message: Message) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\r\n"


def _as_wharf_error(exc: BaseException) -> WharfError:
    return exc if isinstance(exc, WharfError) else WharfError(str(exc) or type(exc).__name__)


async def stream_progress(request: web.Request, work: Work) -> web.StreamResponse:
    """Run ``work`` in a thread and stream the messages it sends."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Message | _End] = asyncio.Queue()
    cancelled = threading.Event()

    def sink(message: Message) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, message)

    def run() -> None:
        try:
            work(sink, cancelled)
        except BaseException as exc:  # handed to the loop, which answers it
            loop.call_soon_threadsafe(queue.put_nowait, _End(exc))
            return
        loop.call_soon_threadsafe(queue.put_nowait, _End())

    worker = asyncio.ensure_future(asyncio.to_thread(run))
    item = await queue.get()
    if isinstance(item, _End):
        await worker
        if item.error is not None:
            raise _as_wharf_error(item.error)
    response = web.StreamResponse(headers={"Content-Type": _CONTENT_TYPE})
    try:
        await response.prepare(request)
        while True:
            batch = [item]
            while not isinstance(item, _End) and not queue.empty():
                item = queue.get_nowait()
                batch.append(item)
            await response.write(b"".join(_encode_item(i) for i in batch))
            if isinstance(item, _End):
                break
            item = await queue.get()
        await response.write_eof()
    except (ConnectionError, asyncio.CancelledError):
        cancelled.set()  # the client left: stop the transfer, keep what resumes
        raise
    finally:
        if not worker.done():
            cancelled.set()
    return response


def _encode_item(item: Message | _End) -> bytes:
    if isinstance(item, _End):
        return b"" if item.error is None else _encode(error_message(str(
            _as_wharf_error(item.error))))
    return _encode(item)


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
