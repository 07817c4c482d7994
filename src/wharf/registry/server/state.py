"""What every handler works on: the stores and the body limits of one registry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from wharf.registry.server.bodies import BodyLimits
from wharf.registry.server.storage import BlobStore, RepositoryStore, UploadStore

__all__ = ["Registry", "empty_response", "json_response", "url_for"]

MIB = 1 << 20


@dataclass
class Registry:
    """The registry's stores and limits (one per app; handlers get it passed in)."""

    blobs: BlobStore
    repositories: RepositoryStore
    uploads: UploadStore
    blob_limits: BodyLimits
    manifest_limits: BodyLimits
    max_in_flight: int = 256  # requests handled at once; more get 429 at once

    @classmethod
    def open(
        cls,
        root: Path,
        *,
        max_blob_size: int = 64 << 30,
        max_manifest_size: int = 4 * MIB,
        idle_timeout: float = 60.0,
        manifest_timeout: float = 300.0,
        max_open_uploads: int = 4096,
        max_in_flight: int = 256,
    ) -> Registry:
        root.mkdir(parents=True, exist_ok=True)
        return cls(
            BlobStore(root),
            RepositoryStore(root),
            UploadStore(root, max_open_uploads),
            BodyLimits(max_blob_size, idle_timeout),
            BodyLimits(max_manifest_size, idle_timeout, manifest_timeout),
            max_in_flight,
        )


def url_for(request: web.Request, path: str) -> str:
    """An absolute URL on this registry, as the client addressed it (for Location)."""
    return f"{request.scheme}://{request.host}{path}"


def empty_response(status: int, headers: dict[str, str]) -> web.Response:
    return web.Response(status=status, headers={**headers, "Content-Length": "0"})


def json_response(value: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(value).encode(),
        content_type="application/json",
        headers=headers or {},
    )
