"""``build --squash``: the target's layers above its FROM image merged into one, applied in
order onto a scratch file system of the base (whiteouts as deletions) and taken as one diff;
the history keeps every step (those layers now marked empty) and adds moby's "merge" entry."""

from __future__ import annotations

import secrets

from wharf.core.digest import Digest
from wharf.lib.archive.apply import apply_layer
from wharf.services.build_session import BuildSession, NoLayers
from wharf.services.image_views import Image

__all__ = ["squash"]


def squash(session: BuildSession, base: Image | None, final: Image) -> Image:
    """One image: ``base`` plus a single layer holding what ``final`` changed (blocking)."""
    if base is not None and final.id == base.id:
        return final
    images = session.deps.images
    rootfs = session.deps.rootfs
    view_id = secrets.token_hex(32)
    rootfs.create(view_id, base if base is not None else NoLayers())
    try:
        merged = rootfs.mount(view_id)
        for chain_id in final.chain_ids[len(base.chain_ids) if base else 0:]:
            layer = images.store.require_layer(chain_id)
            with images.store.content.open(Digest.parse(layer.blob_digest)) as blob:
                apply_layer(blob, merged)
        with session.spool() as spool:
            rootfs.diff(view_id, spool)
            spool.seek(0)
            squashed: Image = images.squash(base, final, spool)
            return squashed
    finally:
        rootfs.unmount(view_id)
        rootfs.remove(view_id)
