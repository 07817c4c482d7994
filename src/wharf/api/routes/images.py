"""``/images/*``: list, inspect, history, tag, remove, prune, import (``create?fromSrc=-``),
save (``get``) and load."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, BinaryIO, TypeVar, cast

from aiohttp import web

from wharf.api.schemas import json_response, query_bool, query_filters
from wharf.api.server import Handler, RouteDef, requested_api_version
from wharf.api.uploads import UPLOAD_STALL_TIMEOUT, UploadReader
from wharf.core.apiversion import version_tuple
from wharf.core.errors import InvalidParameter, NotImplementedByWharf, WharfError
from wharf.services.image_archive import load_images, save_images
from wharf.services.images import ImageService

_T = TypeVar("_T")


class ImageRoutes:
    def __init__(self, images: ImageService, upload_stall_timeout: float,
                 pull: Handler | None = None) -> None:
        self._images = images
        self._stall = upload_stall_timeout
        self._pull = pull  # create?fromImage= (routes/distribution.py)

    async def list(self, request: web.Request) -> web.Response:
        """``GET /images/json``; ``digests`` is accepted (RepoDigests are always there, as
        dockerd's classic store); ``manifests`` (``docker images --tree``) is refused."""
        if query_bool(request, "manifests"):
            raise NotImplementedByWharf("listing image manifests (manifests=1) is not supported")
        listed = await asyncio.to_thread(
            self._images.list,
            query_bool(request, "all"),
            query_filters(request),
            query_bool(request, "shared-size"),
        )
        if _older_than(request, (1, 43)):
            listed = [_with_none_references(summary) for summary in listed]
        if _older_than(request, (1, 44)):
            listed = [_with_virtual_size(summary) for summary in listed]
        return json_response(listed)

    async def inspect(self, request: web.Request) -> web.Response:
        inspected = await asyncio.to_thread(self._images.inspect, _name(request))
        return json_response(_inspect_for_version(inspected, request))

    async def history(self, request: web.Request) -> web.Response:
        return json_response(await asyncio.to_thread(self._images.history, _name(request)))

    async def tag(self, request: web.Request) -> web.Response:
        repo = request.query.get("repo", "")
        if not repo:
            raise InvalidParameter("repository name must have at least one component")
        await asyncio.to_thread(
            self._images.tag, _name(request), repo, request.query.get("tag", "")
        )
        return web.Response(status=201)

    async def remove(self, request: web.Request) -> web.Response:
        removed = await asyncio.to_thread(
            self._images.remove,
            _name(request),
            query_bool(request, "force"),
            not query_bool(request, "noprune"),
        )
        return json_response(removed)

    async def prune(self, request: web.Request) -> web.Response:
        return json_response(await asyncio.to_thread(self._images.prune, query_filters(request)))

    async def save(self, request: web.Request) -> web.StreamResponse:
        names = request.query.getall("names", [])
        if "name" in request.match_info:
            names = [request.match_info["name"]]
        if not names:
            raise InvalidParameter("no images given: use names=<image>")
        chunks = await asyncio.to_thread(save_images, self._images, names)
        response = web.StreamResponse(headers={"Content-Type": "application/x-tar"})
        await response.prepare(request)
        done = object()
        while (chunk := await asyncio.to_thread(next, chunks, done)) is not done:
            await response.write(cast(bytes, chunk))
        await response.write_eof()
        return response

    async def load(self, request: web.Request) -> web.StreamResponse:
        """``POST /images/load``: Docker's lines as ``stream`` messages; without ``quiet``,
        ``Loading layer`` progress is streamed while the layers go in (an error after the
        first message comes as ``errorDetail``, as dockerd does)."""
        body = cast(BinaryIO, UploadReader(request, asyncio.get_running_loop(), self._stall))
        if query_bool(request, "quiet"):
            messages = await asyncio.to_thread(load_images, self._images, body)
            return _progress_response(*({"stream": m + "\n"} for m in messages))
        stream = _ProgressStream(request)
        try:
            lines = await stream.run(lambda report: load_images(self._images, body, report))
        except WharfError as exc:
            if not stream.started:
                raise
            await stream.send({"errorDetail": {"message": str(exc)}, "error": str(exc)})
        else:
            for line in lines:
                await stream.send({"stream": line + "\n"})
        return await stream.finish()

    async def create(self, request: web.Request) -> web.StreamResponse:
        source = request.query.get("fromSrc", "")
        if request.query.get("fromImage"):
            if self._pull is None:
                raise NotImplementedByWharf("pulling images from a registry is not supported")
            return await self._pull(request)
        if source != "-":
            if source:  # dockerd would fetch it (plain names become http://<name>)
                raise NotImplementedByWharf(
                    f'importing from a URL is not supported: "{source}": download it and '
                    "pipe it to the request body with fromSrc=- (docker import - <repo>)"
                )
            raise InvalidParameter("fromImage or fromSrc is required")
        body = UploadReader(request, asyncio.get_running_loop(), self._stall)
        image = await asyncio.to_thread(
            self._images.import_tar,
            cast(BinaryIO, body),
            request.query.get("repo", ""),
            request.query.get("tag", ""),
            request.query.getall("changes", []),
            request.query.get("message", ""),
        )
        return _progress_response({"status": image.id})


class _ProgressStream:
    """JSON messages from a worker thread, streamed as they come; the response starts with
    the first one, so an error before it is still a plain HTTP error."""

    def __init__(self, request: web.Request) -> None:
        self._request = request
        self._response: web.StreamResponse | None = None

    @property
    def started(self) -> bool:
        return self._response is not None

    async def run(self, work: Callable[[Callable[[dict[str, Any]], None]], _T]) -> _T:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

        def report(message: dict[str, Any]) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, message)

        def worker() -> _T:
            try:
                return work(report)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, None)

        task = asyncio.ensure_future(asyncio.to_thread(worker))
        try:
            while (message := await queue.get()) is not None:
                await self.send(message)
        except BaseException:  # the client went away: the work still ends, unobserved
            task.add_done_callback(lambda done: done.cancelled() or done.exception())
            raise
        return await task

    async def send(self, message: dict[str, Any]) -> None:
        if self._response is None:
            self._response = web.StreamResponse(headers={"Content-Type": "application/json"})
            await self._response.prepare(self._request)
        await self._response.write(json.dumps(message, separators=(",", ":")).encode() + b"\r\n")

    async def finish(self) -> web.StreamResponse:
        if self._response is None:
            self._response = web.StreamResponse(headers={"Content-Type": "application/json"})
            await self._response.prepare(self._request)
        await self._response.write_eof()
        return self._response


def _name(request: web.Request) -> str:
    return request.match_info["name"]


def _older_than(request: web.Request, version: tuple[int, int]) -> bool:
    return version_tuple(requested_api_version(request)) < version


def _with_none_references(doc: dict[str, Any]) -> dict[str, Any]:
    """API < 1.43 shows an image without references as ``<none>:<none>``/``<none>@<none>``,
    and an empty list of one kind as null."""
    if doc["RepoTags"] or doc["RepoDigests"]:
        return {**doc, "RepoTags": doc["RepoTags"] or None,
                "RepoDigests": doc["RepoDigests"] or None}
    return {**doc, "RepoTags": ["<none>:<none>"], "RepoDigests": ["<none>@<none>"]}


def _with_virtual_size(doc: dict[str, Any]) -> dict[str, Any]:
    """API < 1.44 also sends ``VirtualSize`` (equal to ``Size``), right after it."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        out[key] = value
        if key == "Size":
            out["VirtualSize"] = value
    return out


def _inspect_for_version(doc: dict[str, Any], request: web.Request) -> dict[str, Any]:
    """Fields older API versions still carry: ``Container`` and ``ContainerConfig`` (< 1.45,
    from the image config when a classic builder recorded them, else empty), ``VirtualSize``
    (< 1.44)."""
    if not _older_than(request, (1, 45)):
        doc = {k: v for k, v in doc.items() if k not in ("Container", "ContainerConfig")}
    return _with_virtual_size(doc) if _older_than(request, (1, 44)) else doc


def _progress_response(*messages: dict[str, Any]) -> web.Response:
    body = "".join(json.dumps(m, separators=(",", ":")) + "\r\n" for m in messages)
    # exactly "application/json" (no charset): the docker CLI compares the header verbatim
    # to decide whether to render the progress messages
    return web.Response(body=body.encode(), headers={"Content-Type": "application/json"})


def routes(images: ImageService, upload_stall_timeout: float = UPLOAD_STALL_TIMEOUT,
           pull: Handler | None = None) -> list[RouteDef]:
    r = ImageRoutes(images, upload_stall_timeout, pull)
    return [
        RouteDef("GET", "/images/json", r.list),
        RouteDef("POST", "/images/create", r.create),
        RouteDef("POST", "/images/prune", r.prune),
        RouteDef("GET", "/images/get", r.save),
        RouteDef("POST", "/images/load", r.load),
        RouteDef("GET", "/images/{name:.*}/get", r.save),
        RouteDef("GET", "/images/{name:.*}/json", r.inspect),
        RouteDef("GET", "/images/{name:.*}/history", r.history),
        RouteDef("POST", "/images/{name:.*}/tag", r.tag),
        RouteDef("DELETE", "/images/{name:.*}", r.remove),
    ]
