"""Manifests by tag or digest: GET, HEAD, PUT (validated, stored byte-exact) and DELETE."""

from __future__ import annotations

from aiohttp import web

from wharf.core.digest import Digest
from wharf.registry.server.bodies import read_body
from wharf.registry.server.errors import RegistryError
from wharf.registry.server.handlers.blob_stream import send_bytes
from wharf.registry.server.manifest_check import CheckedManifest, check_manifest
from wharf.registry.server.paths import Route, is_digest_reference, parse_digest, validate_tag
from wharf.registry.server.state import Registry, empty_response, url_for

__all__ = ["delete_manifest", "get_manifest", "put_manifest"]


async def get_manifest(
    registry: Registry, request: web.Request, route: Route
) -> web.StreamResponse:
    """The manifest's exact bytes with its media type and digest (HEAD: headers only)."""
    digest = _resolve(registry, route)
    media_type = registry.repositories.manifest_media_type(route.name, digest)
    if media_type is None or registry.blobs.size(digest) is None:
        raise _unknown(route)
    body = registry.blobs.read(digest)
    headers = {
        "Docker-Content-Digest": str(digest),
        "Content-Type": media_type,
        "Etag": f'"{digest}"',
    }
    if request.method == "HEAD":
        return web.Response(status=200, headers={**headers, "Content-Length": str(len(body))})
    return await send_bytes(request, body, headers, registry.manifest_limits.idle_timeout)


async def put_manifest(
    registry: Registry, request: web.Request, route: Route
) -> web.StreamResponse:
    """Store a manifest whose blobs (or child manifests) the repository has; tag it when the
    reference is a tag, or with each ``?tag=`` when it is a digest."""
    body = await read_body(request, registry.manifest_limits)
    checked = check_manifest(body, request.headers.get("Content-Type", ""))
    digest = Digest.from_bytes(body)
    tags = _tags_to_set(request, route, digest)
    _check_references(registry, route.name, checked)
    registry.blobs.put_bytes(body)
    registry.repositories.put_manifest(route.name, digest, checked.media_type)
    for tag in tags:
        registry.repositories.set_tag(route.name, tag, digest)
    headers = {
        "Location": url_for(request, f"/v2/{route.name}/manifests/{digest}"),
        "Docker-Content-Digest": str(digest),
    }
    response = empty_response(201, headers)
    if is_digest_reference(route.arg):
        for tag in tags:  # the spec's answer to ?tag=: one OCI-Tag header per tag set
            response.headers.add("OCI-Tag", tag)
    return response


async def delete_manifest(
    registry: Registry, request: web.Request, route: Route
) -> web.StreamResponse:
    """By digest: the manifest and the tags pointing at it; by tag: that tag only."""
    repositories = registry.repositories
    if is_digest_reference(route.arg):
        removed = repositories.delete_manifest(route.name, parse_digest(route.arg))
    else:
        validate_tag(route.arg)
        removed = repositories.delete_tag(route.name, route.arg)
    if not removed:
        raise _unknown(route)
    return empty_response(202, {})


def _resolve(registry: Registry, route: Route) -> Digest:
    if is_digest_reference(route.arg):
        return parse_digest(route.arg)
    validate_tag(route.arg)
    digest = registry.repositories.resolve_tag(route.name, route.arg)
    if digest is None:
        raise _unknown(route)
    return digest


def _tags_to_set(request: web.Request, route: Route, digest: Digest) -> list[str]:
    if not is_digest_reference(route.arg):
        validate_tag(route.arg)
        return [route.arg]
    if parse_digest(route.arg) != digest:
        raise RegistryError("DIGEST_INVALID", detail={"expected": route.arg, "actual": str(digest)})
    tags = request.query.getall("tag", [])
    for tag in tags:
        validate_tag(tag)
    return tags


def _check_references(registry: Registry, name: str, checked: CheckedManifest) -> None:
    for blob in checked.blobs:
        size = registry.blobs.size(blob.digest)
        if size is None or not registry.repositories.has_blob(name, blob.digest):
            raise RegistryError("MANIFEST_BLOB_UNKNOWN", detail={"digest": str(blob.digest)})
        if size != blob.size:
            raise RegistryError(
                "MANIFEST_INVALID",
                f"descriptor size {blob.size} of {blob.digest} does not match the blob ({size})",
            )
    for child in checked.manifests:
        if registry.repositories.manifest_media_type(name, child.digest) is None:
            raise RegistryError("MANIFEST_BLOB_UNKNOWN", detail={"digest": str(child.digest)})


def _unknown(route: Route) -> RegistryError:
    return RegistryError("MANIFEST_UNKNOWN", detail={"name": route.name, "reference": route.arg})
