"""``POST /build/prune`` filters, as dockerd reads them for ``docker builder prune`` and
``docker system prune --filter ...``.

``until`` (and its old name ``unused-for``): a Go duration; the cache not used for that long
goes (dockerd's ``"until" filter expects a duration (e.g., '24h')`` otherwise). ``label`` and
``label!``: the classic builder's cache carries no labels, so ``label=...`` selects nothing and
``label!=...`` everything (dockerd drops them silently; wharf answers what they mean).
BuildKit's record filters (``id``, ``type``, ``inuse``, ...) are refused by name.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

from wharf.core.errors import InvalidParameter

__all__ = ["CacheSelection", "cache_selection", "go_duration"]

_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def go_duration(text: str) -> float:
    """Go's ``time.ParseDuration`` (``72h``, ``1h30m``, ``1.5s``, ``0``) in seconds;
    ValueError with Go's message otherwise."""
    body = text.strip()
    sign = -1.0 if body.startswith("-") else 1.0
    body = body.lstrip("+-")
    if body == "0":
        return 0.0
    total, position = 0.0, 0
    while position < len(body):
        match = _PART.match(body, position)
        if match is None:
            break
        total += float(match[1]) * _SECONDS[match[2]]
        position = match.end()
    if not body or position != len(body):
        raise ValueError(f'time: invalid duration "{text}"')
    return sign * total


@dataclass(frozen=True)
class CacheSelection:
    """Which cache a prune takes: nothing at all, or what was last used before
    ``used_before`` (unix seconds; None: any time)."""

    nothing: bool = False
    used_before: float | None = None


def cache_selection(filters: Mapping[str, list[str]], now: float | None = None
                    ) -> CacheSelection:
    given = {key: values for key, values in filters.items() if values}
    unsupported = sorted(set(given) - {"until", "unused-for", "label", "label!"})
    if unsupported:
        raise InvalidParameter(f"build cache prune filters are not supported yet: "
                               f"{', '.join(unsupported)}")
    used_before = None
    for key in ("until", "unused-for"):
        for value in given.get(key, []):
            try:
                age = go_duration(value)
            except ValueError as err:
                raise InvalidParameter(f"\"{key}\" filter expects a duration (e.g., '24h'): "
                                       f"{err}") from None
            limit = (time.time() if now is None else now) - age
            used_before = limit if used_before is None else min(used_before, limit)
    return CacheSelection(nothing=bool(given.get("label")), used_before=used_before)
