"""Image parents, as moby's classic store records them: ``docker commit`` (and a loaded
archive's ``Parent``) make an image the child of another. Parents give ``docker history`` its
ids, hide untagged intermediate images from ``docker images`` (``-a`` shows them), and keep a
parent from being deleted under its children (``image has dependent child images``).

Stored as facts in the metadata database's key-value table (child id -> parent id).
"""

from __future__ import annotations

from typing import Protocol

from wharf.core.metadata import ImageRecords, KeyValues

__all__ = ["ImageParents"]

_NAMESPACE = "image-parents"


class _Facts(ImageRecords, KeyValues, Protocol):
    pass


class ImageParents:
    """Links whose child is gone (removed some other way) no longer count."""

    def __init__(self, db: _Facts) -> None:
        self._db = db

    def parent(self, image_id: str) -> str:
        return self._db.kv_get(_NAMESPACE, image_id) or ""

    def set(self, image_id: str, parent_id: str) -> None:
        if parent_id and parent_id != image_id:
            self._db.kv_put(_NAMESPACE, image_id, parent_id)

    def forget(self, image_id: str) -> None:
        self._db.kv_delete(_NAMESPACE, image_id)

    def links(self) -> dict[str, str]:
        """Every child id -> parent id, for the children on record."""
        return {
            child: parent
            for child, parent in self._db.kv_list(_NAMESPACE)
            if self._db.get_image(child) is not None
        }

    def children(self, image_id: str) -> list[str]:
        return sorted(child for child, parent in self.links().items() if parent == image_id)
