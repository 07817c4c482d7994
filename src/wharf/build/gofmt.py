"""Go's text formats the classic builder's history carries: ``%q`` of a string and of a string
slice (``["/bin/sh" "-c" "echo hi"]``), Go durations (``1m30s``), and their parsing."""

from __future__ import annotations

from wharf.core.errors import InvalidParameter
from wharf.core.units import parse_go_duration as core_parse_go_duration
from wharf.lib.goquote import go_quote

__all__ = ["go_duration", "go_quote", "go_quote_list", "parse_go_duration"]



def go_quote_list(items: list[str] | tuple[str, ...]) -> str:
    """``fmt.Sprintf("%q", []string{...})``."""
    return "[" + " ".join(go_quote(i) for i in items) + "]"


def go_duration(ns: int) -> str:
    """``time.Duration.String()``."""
    if ns == 0:
        return "0s"
    sign, ns = ("-", -ns) if ns < 0 else ("", ns)
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if ns >= size:
                return sign + _trim(ns / size) + unit
    hours, rest = divmod(ns, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    seconds = _trim(rest / 1_000_000_000) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return sign + seconds


def _trim(value: float) -> str:
    text = f"{value:.9f}".rstrip("0").rstrip(".")
    return text or "0"


def parse_go_duration(text: str) -> int:
    """``time.ParseDuration`` (nanoseconds); InvalidParameter when malformed."""
    try:
        return core_parse_go_duration(text)
    except ValueError as err:
        raise InvalidParameter(str(err)) from None
