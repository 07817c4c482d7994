"""``docker image prune [-a]`` with moby's rules.

Candidates are the untagged images without children (``dangling=true``, the default) or every
image (``dangling=false``, ``-a``), minus untagged intermediate images, those created after
``until``, those used within ``unused-for`` (wharf's filter, moby #4237: a Go duration; used
means a container was created from the image, or it was tagged, pulled, built or loaded) and
those the ``label``/``label!`` filters leave out. A candidate with references is removed
through them (with ``-a``; without it only when they are all digests), one without by id,
each as ``docker rmi`` without force would: an image a container uses stays, quietly, and a
deleted image's dangling parents go with it. ``SpaceReclaimed`` counts the layers removed.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from wharf.core.errors import Conflict, InvalidParameter, NotFound
from wharf.core.filters import label_matches
from wharf.core.metadata import ImageRecord
from wharf.services.build_prune import go_duration
from wharf.services.image_delete import ImageDeleter
from wharf.services.image_views import unix_nanos, unix_seconds, until_timestamp

if TYPE_CHECKING:
    from wharf.services.images import ImageService

__all__ = ["prune_images"]

_ACCEPTED = frozenset({"dangling", "until", "label", "label!", "unused-for"})


def prune_images(
    service: ImageService, deleter: ImageDeleter, filters: dict[str, list[str]]
) -> dict[str, Any]:
    """Callers hold the image lock."""
    for key in filters:
        if key not in _ACCEPTED:
            raise InvalidParameter(f"invalid filter '{key}'")
    dangling_only = _dangling_only(filters.get("dangling", []))
    until = [until_timestamp(v) for v in filters.get("until", [])]
    unused_since = [time.time() - unused_for(v) for v in filters.get("unused-for", [])]
    store = service.store
    sizes = {c: store.layer_size(c) for c in store.db.list_layers()}
    freed = store.release_layers(lambda image_id: bool(service.in_use(image_id)))[1]
    with_children = set(service.parents.links().values())
    deleted: list[dict[str, str]] = []
    for record in store.db.list_images():
        if not service.exists(record.id):
            continue  # went with an image pruned before it
        img = service.image(record)
        refs = store.db.tags_of(img.id) + store.db.digests_of(img.id)
        if img.id in with_children and (dangling_only or not refs):
            continue
        if (dangling_only and img.repo_tags) or any(unix_seconds(img.created) > u for u in until):
            continue
        if any(last_use(record) > limit for limit in unused_since):
            continue
        labels = (img.config.get("config") or {}).get("Labels") or {}
        if not all(label_matches(labels, w) for w in filters.get("label", [])):
            continue
        if any(label_matches(labels, w) for w in filters.get("label!", [])):
            continue
        deleted += _remove(service, deleter, img.id, refs)
    freed += sum(sizes.get(d["Deleted"], 0) for d in deleted if "Deleted" in d)
    service.emit_prune(freed)
    return {"ImagesDeleted": deleted or None, "SpaceReclaimed": freed}


def last_use(record: ImageRecord) -> float:
    """When the image was last used (unix seconds): the last container created from it or,
    later, its last tagging (pull, build, load, tag); never either: its creation time."""
    stamps = [unix_nanos(t) for t in (record.last_used, record.last_tag_time) if t]
    known = [s for s in stamps if s is not None]
    return max(known) / 1e9 if known else float(unix_seconds(record.created))


def unused_for(value: str) -> float:
    """``unused-for``'s Go duration (``72h``, ``1h30m``, ``90s``) in seconds, above zero."""
    try:
        seconds = go_duration(value)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise InvalidParameter(f"invalid filter 'unused-for={value}'")
    return seconds


def _dangling_only(values: list[str]) -> bool:
    out = True
    for value in values:
        if value.lower() not in ("true", "false", "1", "0"):
            raise InvalidParameter(f"invalid filter 'dangling={value}'")
        out = value.lower() in ("true", "1")
    return out


def _remove(
    service: ImageService, deleter: ImageDeleter, image_id: str, refs: list[str]
) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    try:
        if not refs:
            return deleter.by_id(service.resolve(image_id), force=False)
        for ref in refs:
            if service.exists(image_id):
                out += deleter.by_name(service.resolve(image_id), ref, force=False)
    except (Conflict, NotFound):
        pass  # in use (or gone): dockerd logs it and goes on
    return out
