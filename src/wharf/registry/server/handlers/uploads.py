"""Blob uploads: POST (start, monolithic with ``?digest=``, cross-repository ``?mount=&from=``),
PATCH (a chunk, in order), PUT (finish; the digest is verified), GET (status), DELETE (cancel)."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Mapping

from aiohttp import web

from wharf.core.digest import Digest
from wharf.registry.server.bodies import copy_body
from wharf.registry.server.errors import RegistryError
from wharf.registry.server.paths import Route, parse_digest, validate_name
from wharf.registry.server.state import Registry, empty_response, url_for
from wharf.registry.server.storage import Upload

__all__ = ["cancel_upload", "finish_upload", "patch_upload", "start_upload", "upload_status"]

_CONTENT_RANGE_RE = re.compile(r"(?:bytes[= ])?([0-9]{1,18})-([0-9]{1,18})(?:/(?:[0-9]{1,18}|\*))?")


async def start_upload(
    registry: Registry, request: web.Request, route: Route
) -> web.StreamResponse:
    query = request.query
    if "mount" in query and "from" in query and _mount(registry, route.name, query):
        return _created(request, route.name, parse_digest(query["mount"]))
    if "digest" in query:
        return await _monolithic(registry, request, route.name, parse_digest(query["digest"]))
    algorithm = query.get("digest-algorithm", "sha256")
    if algorithm != "sha256":
        raise RegistryError("DIGEST_INVALID", f"unsupported digest algorithm {algorithm[:40]!r}")
    if request.body_exists:
        raise RegistryError("BLOB_UPLOAD_INVALID", "a POST with a body needs ?digest=")
    return _accepted(request, registry.uploads.start(route.name), 202)


async def patch_upload(
    registry: Registry, request: web.Request, route: Route
) -> web.StreamResponse:
    upload = registry.uploads.get(route.name, route.arg)
    async with upload.lock:
        registry.uploads.check_open(upload)
        await _append(registry, request, upload)
        return _accepted(request, upload, 202)


async def finish_upload(
    registry: Registry, request: web.Request, route: Route
) -> web.StreamResponse:
    if "digest" not in request.query:
        raise RegistryError("DIGEST_INVALID", "the final PUT needs ?digest=")
    digest = parse_digest(request.query["digest"])
    upload = registry.uploads.get(route.name, route.arg)
    async with upload.lock:
        registry.uploads.check_open(upload)
        if request.body_exists or "Content-Range" in request.headers:
            await _append(registry, request, upload)
        await _publish(registry, upload, digest)
    return _created(request, route.name, digest)


async def upload_status(
    registry: Registry, request: web.Request, route: Route
) -> web.StreamResponse:
    upload = registry.uploads.get(route.name, route.arg)
    return _accepted(request, upload, 204)


async def cancel_upload(
    registry: Registry, request: web.Request, route: Route
) -> web.StreamResponse:
    upload = registry.uploads.get(route.name, route.arg)
    async with upload.lock:
        registry.uploads.check_open(upload)
        registry.uploads.remove(upload)
    return empty_response(204, {})


def _mount(registry: Registry, name: str, query: Mapping[str, str]) -> bool:
    """Link the blob from another repository when that one has it; False to fall back to an
    ordinary upload (the spec's 202)."""
    digest = parse_digest(query["mount"])
    source = query["from"]
    validate_name(source)
    if registry.blobs.size(digest) is None or not registry.repositories.has_blob(source, digest):
        return False
    registry.repositories.link_blob(name, digest)
    return True


async def _monolithic(
    registry: Registry, request: web.Request, name: str, digest: Digest
) -> web.StreamResponse:
    upload = registry.uploads.start(name)
    try:
        async with upload.lock:
            await _append(registry, request, upload)
            await _publish(registry, upload, digest)
    finally:
        registry.uploads.remove(upload)
    return _created(request, name, digest)


async def _append(registry: Registry, request: web.Request, upload: Upload) -> None:
    """Append the request body to the upload, checking Content-Range; on any failure the
    upload is cut back to what it held before."""
    size = upload.size()
    _check_range(request, size)
    if upload.hasher is None or upload.hashed != size:
        await asyncio.to_thread(upload.digest)  # re-hash what is on disk, off the event loop
    assert upload.hasher is not None
    try:
        with upload.data.open("ab") as out:
            upload.hashed += await copy_body(
                request, out, upload.hasher, registry.blob_limits, already=size
            )
    except BaseException:
        os.truncate(upload.data, size)
        upload.hasher, upload.hashed = None, 0
        raise


def _check_range(request: web.Request, size: int) -> None:
    header = request.headers.get("Content-Range")
    if header is None:
        return
    match = _CONTENT_RANGE_RE.fullmatch(header.strip())
    if match is None:
        raise RegistryError("BLOB_UPLOAD_INVALID", f"bad Content-Range {header[:80]!r}", status=416)
    start, end = int(match[1]), int(match[2])
    if start != size or end < start:
        raise RegistryError(
            "BLOB_UPLOAD_INVALID",
            f"chunk {start}-{end} out of order: the upload holds {size} bytes",
            status=416,
        )
    if request.content_length is not None and request.content_length != end - start + 1:
        raise RegistryError("SIZE_INVALID", "Content-Length does not match Content-Range")


async def _publish(registry: Registry, upload: Upload, digest: Digest) -> None:
    """Verify the upload against ``digest`` and make it the blob; DIGEST_INVALID (and the
    upload dropped) on a mismatch."""
    actual = await asyncio.to_thread(upload.digest)
    if actual != digest:
        registry.uploads.remove(upload)
        raise RegistryError(
            "DIGEST_INVALID", detail={"expected": str(digest), "actual": str(actual)}
        )
    await asyncio.to_thread(_fsync, upload)
    registry.blobs.publish(upload.data, digest)
    registry.repositories.link_blob(upload.repository, digest)
    registry.uploads.remove(upload)


def _fsync(upload: Upload) -> None:
    fd = os.open(upload.data, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _accepted(request: web.Request, upload: Upload, status: int) -> web.Response:
    size = upload.size()
    return empty_response(
        status,
        {
            "Location": url_for(request, f"/v2/{upload.repository}/blobs/uploads/{upload.id}"),
            "Range": f"0-{max(size - 1, 0)}",
            "Docker-Upload-UUID": upload.id,
        },
    )


def _created(request: web.Request, name: str, digest: Digest) -> web.Response:
    return empty_response(
        201,
        {
            "Location": url_for(request, f"/v2/{name}/blobs/{digest}"),
            "Docker-Content-Digest": str(digest),
        },
    )
