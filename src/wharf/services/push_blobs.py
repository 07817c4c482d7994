"""Which blob stands for each layer of an image being pushed.

A pulled image keeps the registry's blobs, so its manifest is pushed as it came. But a layer
that was already here when the image was pulled ("Already exists": the same diff id, unpacked
from another registry's or a local blob) was never fetched, so the manifest names a blob this
store does not have. Such a layer is pushed from the blob it was unpacked from, and the
manifest is rewritten to name that blob (Docker, in the same case, compresses the layer again:
either way the pushed manifest differs from the pulled one).
"""

from __future__ import annotations

import json
from typing import Any

from wharf.core.digest import Digest
from wharf.core.errors import NotFound
from wharf.core.oci import (
    MEDIA_TYPE_DOCKER_LAYER,
    MEDIA_TYPE_DOCKER_MANIFEST,
    MEDIA_TYPE_OCI_LAYER_GZIP,
    Descriptor,
)
from wharf.services.image_store import ImageStore

__all__ = ["local_blobs"]


def local_blobs(store: ImageStore, layers: list[Descriptor], chain: list[str],
                manifest: bytes) -> tuple[list[Descriptor], bytes]:
    """The layer descriptors to push and the manifest bytes naming them (``manifest`` itself
    when every blob it names is here)."""
    if all(store.content.has(layer.digest) for layer in layers):
        return layers, manifest
    if len(chain) != len(layers):
        raise NotFound("the image's layers are not all in the local store")
    doc: dict[str, Any] = json.loads(manifest)
    docker = doc.get("mediaType") == MEDIA_TYPE_DOCKER_MANIFEST
    out: list[Descriptor] = []
    for i, (layer, chain_id) in enumerate(zip(layers, chain, strict=True)):
        if store.content.has(layer.digest):
            out.append(layer)
            continue
        out.append(_unpacked_from(store, chain_id, docker))
        doc["layers"][i] = out[-1].to_json()  # the other entries keep every field they had
    return out, json.dumps(doc, indent=3).encode()


def _unpacked_from(store: ImageStore, chain_id: str, docker: bool) -> Descriptor:
    record = store.db.get_layer(chain_id)
    blob = Digest.parse(record.blob_digest) if record and record.blob_digest else None
    if record is None or blob is None or not store.content.has(blob):
        raise NotFound(f"layer {chain_id} of the image is not in the local store")
    media_type = record.media_type
    if docker and media_type == MEDIA_TYPE_OCI_LAYER_GZIP:
        media_type = MEDIA_TYPE_DOCKER_LAYER  # a schema2 manifest names gzip layers its way
    return Descriptor(media_type, blob, store.content.size(blob))
