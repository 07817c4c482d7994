"""The build cache: step keys → images (the ``build_cache`` table), ``--cache-from`` matching,
``system df``'s BuildCache entries and ``builder prune``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from wharf.core.errors import NotFound
from wharf.core.metadata import BuildCacheRecord, BuildCacheRecords
from wharf.core.timefmt import now_rfc3339, parse_rfc3339
from wharf.services.image_views import Image

__all__ = ["BuildCache", "history_matches"]

TOUCH_INTERVAL = 60.0  # seconds between two last-used updates of one step record
MAX_TOUCHED = 4096


def history_matches(candidate: dict[str, Any], parent: dict[str, Any] | None,
                    created_by: str, layer: bool | None) -> bool:
    """Whether ``candidate``'s history starts with ``parent``'s and goes on with the step
    ``created_by`` (with a layer, without, or either when ``layer`` is None), its diff ids
    starting with the parent's: moby's test of a ``--cache-from`` image, whose next entry can
    then be restored as the step's image (:meth:`BuildSteps.restore_step`)."""
    history = list(candidate.get("history") or [])
    diff_ids = list((candidate.get("rootfs") or {}).get("diff_ids") or [])
    base_history = list((parent or {}).get("history") or [])
    base_diffs = list(((parent or {}).get("rootfs") or {}).get("diff_ids") or [])
    if len(history) <= len(base_history) or diff_ids[: len(base_diffs)] != base_diffs:
        return False
    for mine, theirs in zip(history, base_history, strict=False):
        if mine.get("created_by", "") != theirs.get("created_by", ""):
            return False
        if bool(mine.get("empty_layer")) != bool(theirs.get("empty_layer")):
            return False
    step = history[len(base_history)]
    has_layer = not step.get("empty_layer")
    if has_layer and len(diff_ids) <= len(base_diffs):
        return False
    return bool(step.get("created_by", "") == created_by and layer in (None, has_layer))


class BuildCache:
    """Step records over ``records``; ``resolve`` finds an image by id (NotFound if gone)."""

    def __init__(self, records: BuildCacheRecords | None,
                 resolve: Callable[[str], Image]) -> None:
        self._records = records
        self._resolve = resolve
        self._touched: dict[str, float] = {}  # key -> monotonic time last_used was written

    def lookup(self, key: str) -> Image | None:
        if self._records is None:
            return None
        record = self._records.get_build_cache(key)
        if record is None:
            return None
        try:
            image = self._resolve(record.image_id)
        except NotFound:
            self._records.delete_build_cache(key)
            return None
        self._touch(key)
        return image

    def _touch(self, key: str) -> None:
        """Record the use, at most once a minute per key (a write per cached step per build
        would cost a database commit each)."""
        now = time.monotonic()
        if now - self._touched.get(key, -TOUCH_INTERVAL) < TOUCH_INTERVAL:
            return
        assert self._records is not None
        self._records.touch_build_cache(key, now_rfc3339())
        if len(self._touched) >= MAX_TOUCHED:
            self._touched.clear()
        self._touched[key] = now

    def store(self, key: str, image_id: str, description: str) -> None:
        if self._records is None:
            return
        now = now_rfc3339()
        self._records.put_build_cache(BuildCacheRecord(key, image_id, now, now, description))

    def usage(self) -> list[dict[str, Any]]:
        """BuildKit's BuildCache entry shape, one per step record (the image it names holds
        the bytes; they are counted with the images, so Size is 0 here)."""
        if self._records is None:
            return []
        return [{
            "ID": record.key.removeprefix("sha256:")[:25],
            "Parent": "",
            "Type": "regular",
            "Description": record.description,
            "InUse": False,
            "Shared": True,
            "Size": 0,
            "CreatedAt": record.created,
            "LastUsedAt": record.last_used,
            "UsageCount": 1,
        } for record in self._records.list_build_cache()]

    def prune(self, used_before: float | None = None) -> tuple[list[str], int]:
        """Forget the step records (those last used before ``used_before``, unix seconds,
        when given); the images stay until ``image prune``."""
        if self._records is None:
            return [], 0
        removed = []
        for record in self._records.list_build_cache():
            if used_before is not None and parse_rfc3339(record.last_used) >= used_before:
                continue
            if self._records.delete_build_cache(record.key):
                removed.append(record.key.removeprefix("sha256:")[:25])
        return removed, 0

    def from_images(self, sources: list[Image], parent: Image | None, created_by: str,
                    layer: bool | None) -> Image | None:
        """A ``--cache-from`` image whose history is ``parent``'s plus this step (and maybe
        more): the step's image can be restored from it."""
        for image in sources:
            if history_matches(image.config, parent.config if parent else None, created_by,
                               layer):
                return image
        return None
