"""Splitting image references the way docker's CLI shows them (no registry normalisation)."""

from __future__ import annotations


def split_repo_tag(ref: str) -> tuple[str, str]:
    """``("localhost:5000/x", "1.0")`` from ``localhost:5000/x:1.0``; tag ``<none>`` if absent."""
    name = ref.partition("@")[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1:]
    return name, "<none>"
