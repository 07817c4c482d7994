"""Docker's filter predicates shared by every resource (pure)."""

from __future__ import annotations

from collections.abc import Mapping


def label_matches(labels: Mapping[str, str], wanted: str) -> bool:
    """Docker's ``label`` filter: ``key`` (present) or ``key=value`` (present and equal)."""
    key, sep, value = wanted.partition("=")
    return key in labels and (not sep or labels[key] == value)
