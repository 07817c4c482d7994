"""Blobs: GET (with Range), HEAD and DELETE of ``/v2/<name>/blobs/<digest>``."""

from __future__ import annotations

from aiohttp import web

from wharf.core.digest import Digest
from wharf.registry.server.errors import RegistryError
from wharf.registry.server.handlers.blob_stream import send_file
from wharf.registry.server.paths import Route, parse_digest
from wharf.registry.server.state import Registry, empty_response

__all__ = ["delete_blob", "get_blob"]


async def get_blob(registry: Registry, request: web.Request, route: Route) -> web.StreamResponse:
    """The blob's bytes (GET, Range honoured with 206/416) or its size (HEAD)."""
    digest = parse_digest(route.arg)
    size = _visible_size(registry, route.name, digest)
    headers = {
        "Docker-Content-Digest": str(digest),
        "Content-Type": "application/octet-stream",
        "Etag": f'"{digest}"',
    }
    if request.method == "HEAD":
        headers["Content-Length"] = str(size)
        headers["Accept-Ranges"] = "bytes"
        return web.Response(status=200, headers=headers)
    return await send_file(
        request, registry.blobs.path(digest), headers, registry.blob_limits.idle_timeout
    )


async def delete_blob(registry: Registry, request: web.Request, route: Route) -> web.StreamResponse:
    """Unlink the blob from the repository (202); the bytes stay for other repositories."""
    digest = parse_digest(route.arg)
    if not registry.repositories.unlink_blob(route.name, digest):
        raise RegistryError("BLOB_UNKNOWN", detail={"digest": str(digest)})
    return empty_response(202, {"Docker-Content-Digest": str(digest)})


def _visible_size(registry: Registry, name: str, digest: Digest) -> int:
    size = registry.blobs.size(digest)
    if size is None or not registry.repositories.has_blob(name, digest):
        raise RegistryError("BLOB_UNKNOWN", detail={"digest": str(digest)})
    return size
