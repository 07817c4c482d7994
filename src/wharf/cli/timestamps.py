"""Docker's client-side ``--since``/``--until`` values: durations and dates become Unix times.

``10m``/``1h30m`` mean that long before now; RFC 3339 dates and ``YYYY-MM-DD`` are converted;
anything else (already a Unix timestamp) is sent unchanged.
"""

from __future__ import annotations

import re
import time
from datetime import UTC

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h))+$")
_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def go_duration_seconds(text: str) -> float | None:
    """Seconds in a Go duration string (``1h30m``), or None when it is not one."""
    if not _DURATION.match(text):
        return None
    return sum(float(value) * _SECONDS[unit] for value, unit in _PART.findall(text))


def to_api_timestamp(text: str, now: float | None = None) -> str:
    """The value docker sends for a ``--since``/``--until`` flag."""
    if not text:
        return text
    now = time.time() if now is None else now
    seconds = go_duration_seconds(text)
    if seconds is not None:
        return _format(now - seconds)
    parsed = _parse_date(text)
    return _format(parsed) if parsed is not None else text


def _format(timestamp: float) -> str:
    """``seconds.nanoseconds`` as docker's client sends it."""
    seconds, nanos = divmod(round(timestamp * 1e9), 1_000_000_000)
    return f"{seconds}.{nanos:09d}"


def _parse_date(text: str) -> float | None:
    from datetime import datetime

    candidate = text.replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
