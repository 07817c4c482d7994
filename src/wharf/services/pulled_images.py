"""Recording a pulled image with its exact bytes (the other half of ``ImageStore``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wharf.core.errors import InvalidParameter, NotFound
from wharf.core.metadata import ImageRecord, LayerRecord
from wharf.core.reference import Reference
from wharf.core.timefmt import rfc3339_nano
from wharf.lib.jsoncodec import loads_object
from wharf.services.image_store import PULLED_INDEX, ImageStore

__all__ = ["PulledImage", "store_pulled_image"]


@dataclass(frozen=True)
class PulledImage:
    """A pulled image's exact bytes and where it goes (``tag``: ``name:tag`` when pulled by
    tag; ``repo_digest``: ``name@<digest the reference resolved to>``)."""

    config: bytes
    manifest: bytes
    index: bytes | None
    layers: list[LayerRecord]
    tag: Reference | None
    repo_digest: Reference | None


def _parse_config(config_bytes: bytes) -> dict[str, Any]:
    return loads_object(config_bytes, "invalid image config")


def store_pulled_image(store: ImageStore, pulled: PulledImage) -> tuple[str, bool]:
    """Record a pulled image with its exact bytes: the config, the platform manifest (its
    digest becomes the image's manifest) and the index it came from, if any; tag it and
    add its repo digest. Returns the image id and whether the tag moved (Docker's "Downloaded
    newer image" vs "Image is up to date"). The layers must be unpacked already."""
    config = _parse_config(pulled.config)
    diff_ids = list(((config.get("rootfs") or {}).get("diff_ids")) or [])
    if diff_ids != [layer.diff_id for layer in pulled.layers]:
        raise InvalidParameter("image config diff ids do not match the manifest's layers")
    image_id = str(store.content.put_bytes(pulled.config))
    manifest_digest = store.content.put_bytes(pulled.manifest)
    index_digest = store.content.put_bytes(pulled.index) if pulled.index else None
    with store.lock:
        if index_digest is not None:
            store.db.kv_put(PULLED_INDEX, image_id, str(index_digest))
        for layer in pulled.layers:
            if not store.snapshots.has_layer(layer.chain_id):
                raise NotFound(f"layer {layer.chain_id} vanished during the pull")
            if store.db.get_layer(layer.chain_id) is None:
                store.db.put_layer(layer)
        store.db.put_image(ImageRecord(
            image_id, image_id, str(manifest_digest),
            str(config.get("created") or rfc3339_nano()),
            sum(layer.size for layer in pulled.layers),
            [layer.chain_id for layer in pulled.layers],
        ))
        moved = False
        if pulled.tag is not None:
            moved = store.db.get_tag(str(pulled.tag)) != image_id
            store.db.set_tag(str(pulled.tag), image_id)
            if moved:
                store.db.set_last_tag_time(image_id, rfc3339_nano())
        if pulled.repo_digest is not None:
            moved = moved or store.db.get_digest(str(pulled.repo_digest)) != image_id
            store.db.add_digest(str(pulled.repo_digest), image_id)
    return image_id, moved

