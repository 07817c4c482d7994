"""``/images/*``: list, inspect, history, tag, remove, prune, import (``create?fromSrc=-``),
save (``get``) and load."""

from __future__ import annotations

import asyncio
import json
from typing import Any, BinaryIO, cast

from aiohttp import web

from wharf.api.schemas import json_response, query_bool, query_filters
from wharf.api.server import Handler, RouteDef, requested_api_version
from wharf.api.uploads import UPLOAD_STALL_TIMEOUT, UploadReader
from wharf.core.apiversion import version_tuple
from wharf.core.errors import InvalidParameter, NotImplementedByWharf
from wharf.services.image_archive import load_images, save_images
from wharf.services.image_views import DEFAULT_CONTAINER_CONFIG
from wharf.services.images import ImageService


class ImageRoutes:
    def __init__(self, images: ImageService, upload_stall_timeout: float,
                 pull: Handler | None = None) -> None:
        self._images = images
        self._stall = upload_stall_timeout
        self._pull = pull  # create?fromImage= (routes/distribution.py)

    async def list(self, request: web.Request) -> web.Response:
        listed = await asyncio.to_thread(
            self._images.list, query_bool(request, "all"), query_filters(request)
        )
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

    async def load(self, request: web.Request) -> web.Response:
        body = UploadReader(request, asyncio.get_running_loop(), self._stall)
        messages = await asyncio.to_thread(load_images, self._images, cast(BinaryIO, body))
        return _progress_response(*({"stream": m + "\n"} for m in messages))

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


def _name(request: web.Request) -> str:
    return request.match_info["name"]


def _older_than(request: web.Request, version: tuple[int, int]) -> bool:
    return version_tuple(requested_api_version(request)) < version


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
    empty for images wharf makes) after ``Created``, ``VirtualSize`` (< 1.44)."""
    if _older_than(request, (1, 45)):
        out: dict[str, Any] = {}
        for key, value in doc.items():
            out[key] = value
            if key == "Created":
                out["Container"] = ""
                out["ContainerConfig"] = dict(DEFAULT_CONTAINER_CONFIG)
        doc = out
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
