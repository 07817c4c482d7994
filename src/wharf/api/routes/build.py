"""``POST /build`` (the classic builder's API), ``POST /build/prune`` and ``POST /build/cancel``.

The body is the context tar (plain or compressed; the build service sniffs it), read through
:class:`UploadReader` from the service's worker thread. The answer is Docker's JSON message
stream (:mod:`wharf.api.message_stream`): a failure before the first message is an HTTP error,
after it an ``errorDetail`` message. With ``q`` dockerd holds every message back and, on
success, sends only ``{"stream": "sha256:...\\n"}`` (what ``docker build -q`` prints); on a
failure it sends what it held, then the error. A client that goes away cancels the build, as
does ``POST /build/cancel?id=<buildid>``. No ``/session`` route: without BuildKit, dockerd's
clients (``DOCKER_BUILDKIT=0``) never open one.
"""

from __future__ import annotations

import asyncio
from typing import BinaryIO, cast

from aiohttp import web

from wharf.api.build_query import build_options
from wharf.api.message_stream import MessageStream
from wharf.api.schemas import json_response, query_bool, query_filters
from wharf.api.server import RouteDef, requested_api_version
from wharf.api.uploads import UPLOAD_STALL_TIMEOUT, UploadReader
from wharf.core.apiversion import version_tuple
from wharf.core.errors import InvalidParameter, WharfError
from wharf.services.build import BuildService
from wharf.services.progress import Message, ProgressSink, error_message

__all__ = ["BuildRoutes", "routes"]


class BuildRoutes:
    def __init__(self, build: BuildService, upload_stall_timeout: float = UPLOAD_STALL_TIMEOUT,
                 poll: float = 0.5) -> None:
        self._build = build
        self._stall = upload_stall_timeout
        self._poll = poll
        self._running: dict[str, MessageStream] = {}  # buildid → the build's stream

    async def build(self, request: web.Request) -> web.StreamResponse:
        options = build_options(request.query, request.headers.get("X-Registry-Config", ""))
        body = cast(BinaryIO, UploadReader(request, asyncio.get_running_loop(), self._stall))
        stream = MessageStream(request, hold=options.quiet, poll=self._poll)

        wants_aux = version_tuple(requested_api_version(request)) >= (1, 30)

        async def work(emit: ProgressSink) -> str:
            def sink(message: Message) -> None:
                if wants_aux or "aux" not in message:  # API < 1.30 has no aux (moby)
                    emit(message)
            return await self._build.build(body, options, sink)

        with _Registration(self._running, request.query.get("buildid", ""), stream):
            try:
                image_id = await stream.run(work)
            except WharfError as exc:
                return await _failed(stream, exc)
            except (asyncio.CancelledError, ConnectionError):
                raise
            except Exception as exc:  # a bug in the builder: still an answer, not a hang
                return await _failed(stream, WharfError(str(exc) or type(exc).__name__))
        if options.quiet:
            await stream.send_instead_of_held({"stream": image_id + "\n"})
        return await stream.finish()

    async def cancel(self, request: web.Request) -> web.Response:
        """``POST /build/cancel?id=``: cancel a running build by the ``buildid`` it was
        started with; an unknown id is not an error (dockerd's answer too)."""
        build_id = request.query.get("id", "")
        if not build_id:
            raise InvalidParameter("build ID not provided")
        stream = self._running.get(build_id)
        if stream is not None:
            stream.cancel()
        return web.Response(status=200, content_type="application/json")

    async def prune(self, request: web.Request) -> web.Response:
        keep = request.query.get("keep-storage", "") or "0"
        try:
            keep_bytes = int(keep)
        except ValueError:
            raise InvalidParameter(
                f"keep-storage is in bytes and expects an integer, got {keep}") from None
        if keep_bytes:
            raise InvalidParameter("keep-storage is not supported by wharf's build cache yet")
        report = await asyncio.to_thread(
            self._build.prune, query_bool(request, "all"), query_filters(request))
        return json_response(report)


class _Registration:
    """Makes a build cancellable by its ``buildid`` while it runs."""

    def __init__(self, running: dict[str, MessageStream], build_id: str,
                 stream: MessageStream) -> None:
        self._running = running
        self._id = build_id
        self._stream = stream

    def __enter__(self) -> None:
        if self._id:
            if self._id in self._running:
                raise InvalidParameter(f"a build with ID {self._id} is already running")
            self._running[self._id] = self._stream

    def __exit__(self, *exc: object) -> None:
        if self._id:
            self._running.pop(self._id, None)


async def _failed(stream: MessageStream, exc: WharfError) -> web.StreamResponse:
    if not stream.started:
        raise exc
    await stream.release_held()
    await stream.send(_error_detail(exc))
    return await stream.finish()


def _error_detail(exc: WharfError) -> Message:
    """moby's ``FormatError``: a failed RUN's exit code (the exception's ``code``) goes in
    ``errorDetail.code``, which ``docker build`` exits with."""
    message = error_message(str(exc))
    code = getattr(exc, "code", None)
    if isinstance(code, int) and not isinstance(code, bool) and code:
        message["errorDetail"] = {"code": code, "message": str(exc)}
    return message


def routes(build: BuildService) -> list[RouteDef]:
    r = BuildRoutes(build)
    return [
        RouteDef("POST", "/build", r.build),
        RouteDef("POST", "/build/prune", r.prune),
        RouteDef("POST", "/build/cancel", r.cancel),
    ]
