"""The images a build makes beside ``commit``: a metadata step's config-only image and a
squashed one (``ImageService`` inherits these)."""

from __future__ import annotations

import threading
from typing import Any, BinaryIO

from wharf.core.metadata import LayerRecord
from wharf.core.oci import canonical_json
from wharf.core.reference import Reference
from wharf.core.timefmt import rfc3339_nano
from wharf.services.image_configs import derive_config, squash_config
from wharf.services.image_parents import ImageParents
from wharf.services.image_store import ImageStore
from wharf.services.image_views import Image

__all__ = ["BuildSteps"]


class BuildSteps:
    """Needs ImageService's store, parents, lock and ``store_image``."""

    store: ImageStore
    parents: ImageParents
    _lock: threading.RLock | threading.Lock

    def store_image(self, config_bytes: bytes, layers: list[LayerRecord],
                    target: Reference | None = None) -> Image:
        raise NotImplementedError  # ImageService.store_image

    def derive(
        self,
        base: Image | None,
        container_config: dict[str, Any],
        *,
        created_by: str,
        author: str = "",
    ) -> Image:
        """A build's metadata step: ``base``'s layers with a new config (no layer added)."""
        parents = [self.store.require_layer(c) for c in (base.chain_ids if base else [])]
        config = derive_config(base.config if base else None, container_config,
                               rfc3339_nano(), created_by=created_by, author=author)
        with self._lock:
            image = self.store_image(canonical_json(config), parents)
            if base is not None:
                self.parents.set(image.id, base.id)
        return image

    def squash(self, base: Image | None, final: Image, layer: BinaryIO) -> Image:
        """``build --squash``: ``final`` as ``base`` plus the one ``layer`` that holds all
        its changes above ``base``."""
        parents = [self.store.require_layer(c) for c in (base.chain_ids if base else [])]
        blob, diff_id = self.store.ingest_layer(layer)
        config = squash_config(base.config if base else None, final.config, diff_id,
                               rfc3339_nano(), final.id, base.id if base else "")
        with self._lock:
            added = self.store.unpack_layer(blob, diff_id, parents[-1] if parents else None)
            image = self.store_image(canonical_json(config), [*parents, added])
            if base is not None:
                self.parents.set(image.id, base.id)
        return image


    def restore_step(self, base: Image | None, source: Image,
                     container_config: dict[str, Any]) -> Image:
        """``--cache-from``: the image of the step after ``base`` in ``source``'s history
        (its layer, when it has one, and its history entry), with the build's config for it;
        the entry's time makes the id the same at every restore, as moby restores them."""
        kept = len((base.config.get("history") if base else None) or [])
        layers = [self.store.require_layer(c) for c in (base.chain_ids if base else [])]
        entry = dict((source.config.get("history") or [])[kept])
        diff_ids = list(((base.config if base else {}).get("rootfs") or {}).get("diff_ids")
                        or [])
        if not entry.get("empty_layer"):
            layers.append(self.store.require_layer(source.chain_ids[len(layers)]))
            diff_ids.append(layers[-1].diff_id)
        platform = base.config if base else source.config
        config = {
            **{k: v for k, v in platform.items() if k in ("architecture", "os", "variant")},
            "created": entry.get("created", ""),
            "config": container_config,
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [*((base.config.get("history") if base else None) or []), entry],
        }
        if entry.get("author"):
            config["author"] = entry["author"]
        with self._lock:
            image = self.store_image(canonical_json(config), layers)
            if base is not None:
                self.parents.set(image.id, base.id)
        return image
