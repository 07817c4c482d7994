"""Filters of ``GET /volumes`` (dangling, driver, label, name) and ``POST /volumes/prune``
(label, label!, all), checked with dockerd's words."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from wharf.core.errors import InvalidParameter
from wharf.core.filters import label_matches
from wharf.core.metadata import VolumeRecord

__all__ = ["list_matcher", "prune_matcher"]

Matcher = Callable[[VolumeRecord], bool]
_TRUE, _FALSE = ("true", "1"), ("false", "0")


def list_matcher(filters: Mapping[str, list[str]], in_use: Callable[[str], bool]) -> Matcher:
    for key in filters:
        if key not in ("dangling", "driver", "label", "name"):
            raise InvalidParameter(f"invalid filter '{key}'")
    dangling = [_boolean("dangling", v) for v in filters.get("dangling", [])]

    def matches(record: VolumeRecord) -> bool:
        if dangling and (not in_use(record.name)) not in dangling:
            return False
        if "driver" in filters and record.driver not in filters["driver"]:
            return False
        if "name" in filters and not any(v in record.name for v in filters["name"]):
            return False
        return all(label_matches(record.labels or {}, v) for v in filters.get("label", []))

    return matches


def prune_matcher(filters: Mapping[str, list[str]], anonymous_label: str) -> Matcher:
    for key in filters:
        if key not in ("label", "label!", "all"):
            raise InvalidParameter(f"invalid filter '{key}'")
    everything = any(_boolean("all", v) for v in filters.get("all", []))

    def matches(record: VolumeRecord) -> bool:
        labels = record.labels or {}
        if not everything and anonymous_label not in labels:
            return False
        if not all(label_matches(labels, v) for v in filters.get("label", [])):
            return False
        return not any(label_matches(labels, v) for v in filters.get("label!", []))

    return matches


def _boolean(key: str, value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise InvalidParameter(f"invalid filter '{key}={value}'")
