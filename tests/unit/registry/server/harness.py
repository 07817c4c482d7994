"""An in-process registry (the real app and storage on a temp root) and helpers to push."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from wharf.registry.server.app import make_app
from wharf.registry.server.auth import Htpasswd
from wharf.registry.server.state import Registry

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"

Client = TestClient[web.Request, web.Application]


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Reg:
    client: Client
    registry: Registry
    root: Path

    async def push_blob(self, name: str, data: bytes) -> str:
        digest = digest_of(data)
        resp = await self.client.post(f"/v2/{name}/blobs/uploads/?digest={digest}", data=data)
        assert resp.status == 201, await resp.text()
        return digest

    async def start_upload(self, name: str) -> str:
        """Open an upload session in ``name``; the path (from ``/v2/``) of its Location."""
        resp = await self.client.post(f"/v2/{name}/blobs/uploads/")
        location = str(resp.headers["Location"])
        return location[location.index("/v2/") :]

    async def push_image(self, name: str, tag: str, layers: list[bytes]) -> tuple[str, bytes]:
        """Push a config and ``layers``, then a manifest tagged ``tag``; (digest, bytes)."""
        manifest = await self.image_manifest(name, layers)
        resp = await self.put_manifest(name, tag, manifest)
        assert resp.status == 201, await resp.text()
        return digest_of(manifest), manifest

    async def image_manifest(self, name: str, layers: list[bytes]) -> bytes:
        config = json.dumps({"os": "linux", "architecture": "amd64", "n": len(layers)}).encode()
        descriptors = []
        for layer in layers:
            descriptors.append(_descriptor(OCI_LAYER, await self.push_blob(name, layer), layer))
        document = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": _descriptor(OCI_CONFIG, await self.push_blob(name, config), config),
            "layers": descriptors,
        }
        return json.dumps(document, indent=1).encode()

    async def put_manifest(
        self, name: str, reference: str, body: bytes, media_type: str = OCI_MANIFEST
    ) -> Any:
        return await self.client.put(
            f"/v2/{name}/manifests/{reference}", data=body, headers={"Content-Type": media_type}
        )


def _descriptor(media_type: str, digest: str, data: bytes) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": digest, "size": len(data)}


async def error_code(resp: Any) -> str:
    body = await resp.json()
    return str(body["errors"][0]["code"])


@contextlib.asynccontextmanager
async def registry_at(
    root: Path, htpasswd: Htpasswd | None = None, **limits: Any
) -> AsyncIterator[Reg]:
    registry = Registry.open(root, **limits)
    client: Client = TestClient(TestServer(make_app(registry, htpasswd)))
    await client.start_server()
    try:
        yield Reg(client, registry, root)
    finally:
        await client.close()


def run(root: Path, scenario: Callable[[Reg], Awaitable[None]], **options: Any) -> None:
    """Run ``scenario`` against a fresh registry on ``root``."""

    async def main() -> None:
        async with registry_at(root, **options) as reg:
            await scenario(reg)

    asyncio.run(main())
