"""``/containers/...``: one handler per endpoint, parse → one service call → Docker JSON."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from aiohttp import web

from wharf.api.decode import BodyDecoder
from wharf.api.detach import detach_keys, watched
from wharf.api.hijack import FRAME_STDERR, FRAME_STDOUT, serve_stream
from wharf.api.schemas import (
    container_inspect,
    container_summary,
    json_response,
    no_content,
    parse_filters,
    query_bool,
    query_filters,
    query_int,
)
from wharf.api.server import RouteDef, until_disconnected
from wharf.api.wsattach import serve_websocket
from wharf.core.errors import InvalidParameter, WharfError
from wharf.core.timefmt import parse_rfc3339
from wharf.lib.stdcopy import encode_frame
from wharf.services.container_record import ContainerRecord
from wharf.services.containers import ContainerService
from wharf.services.engine_types import ContainerCreateBody
from wharf.services.events import parse_event_time
from wharf.services.filters import ContainerQuery, prune_matcher
from wharf.services.logs import STDERR, LogOptions, open_log, read_log
from wharf.services.protocols import StreamPort
from wharf.services.top import top

CREATE_BODY = BodyDecoder(ContainerCreateBody)


class ContainerRoutes:
    def __init__(self, containers: ContainerService) -> None:
        self._c = containers

    async def create(self, request: web.Request) -> web.Response:
        body = await CREATE_BODY.read(request, required=True)
        record, warnings = self._c.create(request.query.get("name", ""), body,
                                          request.query.get("platform", ""))
        return json_response({"Id": record.id, "Warnings": warnings}, status=201)

    async def list(self, request: web.Request) -> web.Response:
        query = ContainerQuery(query_filters(request), all_=query_bool(request, "all"),
                               limit=query_int(request, "limit", -1) or -1)
        now = time.time()
        records = query.select(self._c.all())
        summaries = [container_summary(r, now) for r in records]
        if query_bool(request, "size"):
            for summary, size in zip(summaries, await self._c.sizes(records), strict=True):
                summary.update({k: v for k, v in size.items() if v})  # dockerd: omitempty
        return json_response(summaries)

    async def inspect(self, request: web.Request) -> web.Response:
        record = self._c.get(request.match_info["id"])
        payload = container_inspect(record, self._c.container_dir(record),
                                    self._c.exec_ids(record.id))
        if query_bool(request, "size"):
            payload.update((await self._c.sizes([record]))[0])
        return json_response(payload)

    async def start(self, request: web.Request) -> web.Response:
        await self._c.start(request.match_info["id"])
        return no_content()

    async def stop(self, request: web.Request) -> web.Response:
        await self._c.stop(request.match_info["id"], query_int(request, "t"),
                           request.query.get("signal"))
        return no_content()

    async def restart(self, request: web.Request) -> web.Response:
        await self._c.restart(request.match_info["id"], query_int(request, "t"))
        return no_content()

    async def kill(self, request: web.Request) -> web.Response:
        await self._c.kill(request.match_info["id"], request.query.get("signal"))
        return no_content()

    async def wait(self, request: web.Request) -> web.StreamResponse:
        ref = request.match_info["id"]
        self._c.get(ref)  # 404 before the headers go out
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        await response.prepare(request)  # sends the headers now: the docker CLI waits for them

        async def wait_and_answer() -> None:
            body: dict[str, Any]
            try:
                code = await self._c.wait(ref, request.query.get("condition", "not-running"))
                body = {"StatusCode": code, "Error": None}
            except WharfError as err:  # headers are out: report in the body, like dockerd
                body = {"StatusCode": -1, "Error": {"Message": str(err)}}
            await response.write((json.dumps(body) + "\n").encode())

        await until_disconnected(request, wait_and_answer())
        with contextlib.suppress(ConnectionError):
            await response.write_eof()
        return response

    async def pause(self, request: web.Request) -> web.Response:
        self._c.pause(request.match_info["id"])
        return no_content()

    async def unpause(self, request: web.Request) -> web.Response:
        self._c.unpause(request.match_info["id"])
        return no_content()

    async def rename(self, request: web.Request) -> web.Response:
        self._c.rename(request.match_info["id"], request.query.get("name", ""))
        return no_content()

    async def remove(self, request: web.Request) -> web.Response:
        await self._c.remove(request.match_info["id"], force=query_bool(request, "force"),
                             volumes=query_bool(request, "v"))
        return no_content()

    async def prune(self, request: web.Request) -> web.Response:
        filters = parse_filters(request.query.get("filters", ""))
        matches = prune_matcher(filters, time.time(), parse_event_time,
                                lambda record: parse_rfc3339(record.created) * 1e9)
        return json_response(await self._c.prune(matches))

    async def resize(self, request: web.Request) -> web.Response:
        await self._c.resize(request.match_info["id"], query_int(request, "h", 0) or 0,
                             query_int(request, "w", 0) or 0)
        return web.Response(status=200)

    async def changes(self, request: web.Request) -> web.Response:
        return json_response(self._c.changes(request.match_info["id"]) or None)

    async def export(self, request: web.Request) -> web.StreamResponse:
        chunks: Iterator[bytes] = self._c.export(request.match_info["id"])
        response = web.StreamResponse(headers={"Content-Type": "application/x-tar"})
        await response.prepare(request)
        sentinel = b""
        while chunk := await asyncio.to_thread(next, chunks, sentinel):
            await response.write(chunk)
        await response.write_eof()
        return response

    async def top(self, request: web.Request) -> web.Response:
        pids = self._c.pids(request.match_info["id"])
        return json_response(await top(pids, request.query.get("ps_args", "-ef")))

    async def logs(self, request: web.Request) -> web.StreamResponse:
        record = self._c.get(request.match_info["id"])
        options = _log_options(request)
        if not (options.stdout or options.stderr):
            raise InvalidParameter("Bad parameters: you must choose at least one stream")
        tty = record.tty
        content_type = ("application/vnd.docker.raw-stream" if tty
                        else "application/vnd.docker.multiplexed-stream")
        lines = await open_log(self._c.log_path(record), options, lambda: record.state.running)
        try:  # the files are open before the answer starts, as dockerd does
            response = web.StreamResponse(headers={"Content-Type": content_type})
            await response.prepare(request)

            async def send_lines() -> None:
                async for line in lines:
                    kind = FRAME_STDERR if line.stream == STDERR else FRAME_STDOUT
                    await response.write(line.data if tty else encode_frame(kind, line.data))

            await until_disconnected(request, send_lines())
        finally:
            lines.close()
        with contextlib.suppress(ConnectionError):
            await response.write_eof()
        return response

    async def attach(self, request: web.Request) -> web.StreamResponse:
        ref = request.match_info["id"]
        record = self._c.attachable(ref)  # errors before the connection is handed over
        keys = detach_keys(request.query.get("detachKeys", ""))
        return await serve_stream(request, self._attach_opener(request, record, keys),
                                  tty=record.tty, stdin=query_bool(request, "stdin"),
                                  prelude=_attach_log(request, self._c.log_path(record)),
                                  report_errors=False)

    async def attach_ws(self, request: web.Request) -> web.StreamResponse:
        record = self._c.attachable(request.match_info["id"])
        keys = detach_keys(request.query.get("detachKeys", ""))
        prelude = _attach_log(request, self._c.log_path(record))
        return await serve_websocket(request, self._attach_opener(request, record, keys),
                                     prelude=prelude, stdin=query_bool(request, "stdin"))

    def _attach_opener(self, request: web.Request, record: ContainerRecord,
                       keys: bytes) -> Callable[[], Awaitable[StreamPort | None]]:
        """Opens the live stream when ``stream=1`` (watched for the detach keys)."""
        stdin = query_bool(request, "stdin")

        async def open_stream() -> StreamPort | None:
            if not query_bool(request, "stream"):
                return None
            stream = await self._c.attach(record.id, stdin, query_bool(request, "stdout"),
                                          query_bool(request, "stderr"))
            return watched(stream, keys, tty=record.tty, stdin=stdin,
                           on_detach=lambda: self._c.detached(record.id))

        return open_stream


async def _attach_log(request: web.Request, log_path: Path) -> AsyncIterator[tuple[int, bytes]]:
    """With ``logs=1``: what the container has logged so far, as (stream, bytes), read from
    the log as the client takes it (never the whole log in memory)."""
    if not query_bool(request, "logs"):
        return
    options = LogOptions(stdout=query_bool(request, "stdout"),
                         stderr=query_bool(request, "stderr"))
    async for line in read_log(log_path, options, lambda: False):
        yield FRAME_STDERR if line.stream == STDERR else FRAME_STDOUT, line.data


def _log_options(request: web.Request) -> LogOptions:
    now = time.time()
    tail_raw = request.query.get("tail", "all").strip()
    tail = None if tail_raw in ("", "all") else query_int(request, "tail")
    since = parse_event_time(request.query.get("since", ""), now)
    until = parse_event_time(request.query.get("until", ""), now)
    return LogOptions(
        stdout=query_bool(request, "stdout"), stderr=query_bool(request, "stderr"),
        follow=query_bool(request, "follow"), tail=tail,
        since=since / 1e9 if since else 0.0, until=until / 1e9 if until else 0.0,
        timestamps=query_bool(request, "timestamps"),
    )


def routes(containers: ContainerService) -> list[RouteDef]:
    r = ContainerRoutes(containers)
    return [
        RouteDef("POST", "/containers/create", r.create),
        RouteDef("GET", "/containers/json", r.list),
        RouteDef("POST", "/containers/prune", r.prune),
        RouteDef("GET", "/containers/{id}/json", r.inspect),
        RouteDef("POST", "/containers/{id}/start", r.start),
        RouteDef("POST", "/containers/{id}/stop", r.stop),
        RouteDef("POST", "/containers/{id}/restart", r.restart),
        RouteDef("POST", "/containers/{id}/kill", r.kill),
        RouteDef("POST", "/containers/{id}/wait", r.wait),
        RouteDef("POST", "/containers/{id}/pause", r.pause),
        RouteDef("POST", "/containers/{id}/unpause", r.unpause),
        RouteDef("POST", "/containers/{id}/rename", r.rename),
        RouteDef("POST", "/containers/{id}/resize", r.resize),
        RouteDef("POST", "/containers/{id}/attach", r.attach),
        RouteDef("GET", "/containers/{id}/attach/ws", r.attach_ws),
        RouteDef("GET", "/containers/{id}/logs", r.logs),
        RouteDef("GET", "/containers/{id}/top", r.top),
        RouteDef("GET", "/containers/{id}/changes", r.changes),
        RouteDef("GET", "/containers/{id}/export", r.export),
        RouteDef("DELETE", "/containers/{id}", r.remove),
    ]
