"""The Docker Engine API versions wharf speaks, and how versions compare.

The daemon serves, and the CLI asks for, at most ``API_VERSION``; clients as old as
``MIN_API_VERSION`` are served. One home for both sides; no regex or typing here, since
the CLI's start-up path imports it.
"""

from __future__ import annotations

API_VERSION = "1.47"
MIN_API_VERSION = "1.24"


def version_tuple(version: str) -> tuple[int, ...]:
    """``"1.41"`` → ``(1, 41)``; ValueError for anything but dot-separated numbers."""
    parts = version.split(".")
    if not all(part.isascii() and part.isdigit() for part in parts):
        raise ValueError(version)
    return tuple(int(part) for part in parts)
