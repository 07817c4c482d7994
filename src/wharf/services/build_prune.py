"""``POST /build/prune`` filters, as dockerd reads them for ``docker builder prune`` and
``docker system prune --filter ...``.

``until`` (and its old name ``unused-for``): a Go duration; the cache not used for that long
goes (dockerd's ``"until" filter expects a duration (e.g., '24h')`` otherwise). ``label`` and
``label!``: the classic builder's cache carries no labels, so ``label=...`` selects nothing and
``label!=...`` everything (dockerd drops them silently; wharf answers what they mean).
BuildKit's record filters (``id``, ``type``, ``inuse``, ...) are refused by name.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from wharf.core.errors import InvalidParameter
from wharf.core.units import parse_go_duration

__all__ = ["CacheSelection", "cache_selection", "go_duration"]



def go_duration(text: str) -> float:
    """Go's ``time.ParseDuration`` (``72h``, ``1h30m``, ``1.5s``, ``0``) in seconds;
    ValueError with Go's message otherwise."""
    return parse_go_duration(text.strip()) / 1e9


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
