"""Push small made-up images (random layer bytes; a registry never unpacks them)."""

from __future__ import annotations

import io
import json
import os

from wharf.core.digest import Digest
from wharf.core.oci import (
    MEDIA_TYPE_OCI_CONFIG,
    MEDIA_TYPE_OCI_INDEX,
    MEDIA_TYPE_OCI_LAYER_GZIP,
    MEDIA_TYPE_OCI_MANIFEST,
)
from wharf.core.reference import Reference
from wharf.registry.client import ANONYMOUS, Credentials, RegistryClient


def push_blob(
    client: RegistryClient,
    ref: Reference,
    data: bytes,
    creds: Credentials,
    chunk_size: int | None = None,
) -> Digest:
    digest = Digest.from_bytes(data)
    client.upload_blob(ref, digest, len(data), io.BytesIO(data), creds, chunk_size=chunk_size)
    return digest


def push_image(
    client: RegistryClient,
    ref: Reference,
    layers: list[bytes],
    creds: Credentials = ANONYMOUS,
    arch: str = "amd64",
    tag: str | None = None,
) -> bytes:
    """Upload the layers and a config, PUT the manifest (under ``tag`` or ``ref``'s); its bytes."""
    config = json.dumps(
        {"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}
    ).encode()
    descriptors = []
    for layer in layers:
        digest = push_blob(client, ref, layer, creds)
        descriptors.append(
            {"mediaType": MEDIA_TYPE_OCI_LAYER_GZIP, "digest": str(digest), "size": len(layer)}
        )
    config_digest = push_blob(client, ref, config, creds)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE_OCI_MANIFEST,
            "config": {
                "mediaType": MEDIA_TYPE_OCI_CONFIG,
                "digest": str(config_digest),
                "size": len(config),
            },
            "layers": descriptors,
        },
        indent=3,
    ).encode()  # not canonical on purpose: bytes must round-trip exactly
    client.put_manifest(ref, MEDIA_TYPE_OCI_MANIFEST, manifest, creds, tag=tag)
    return manifest


def index_of(manifests: dict[str, bytes]) -> bytes:
    """An OCI index over ``{arch: manifest bytes}``."""
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE_OCI_INDEX,
            "manifests": [
                {
                    "mediaType": MEDIA_TYPE_OCI_MANIFEST,
                    "digest": str(Digest.from_bytes(data)),
                    "size": len(data),
                    "platform": {"os": "linux", "architecture": arch},
                }
                for arch, data in manifests.items()
            ],
        }
    ).encode()


def random_layer(size: int) -> bytes:
    return os.urandom(size)
