"""Docker's human units, shared by the daemon (``Status`` strings) and the CLI (tables), and
Go's duration syntax (``1m30s``) that flags, filters and files use."""

from __future__ import annotations

SIZE_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
DURATION_UNITS_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
                     "m": 60_000_000_000, "h": 3_600_000_000_000}
_DURATION_PART = r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)"  # compiled (and cached) by re


def human_size(size: float, precision: int = 3) -> str:
    """go-units ``HumanSizeWithPrecision``: decimal (base 1000) units, Go's ``%.<precision>g``
    (``HumanSize`` is precision 4: ``1.235MB``)."""
    unit = 0
    while size >= 1000 and unit < len(SIZE_UNITS) - 1:
        size /= 1000.0
        unit += 1
    return f"{_go_g(size, precision)}{SIZE_UNITS[unit]}"


def bytes_size(size: float) -> str:
    """go-units ``BytesSize``: binary (base 1024) units, ``%.4g`` (``1.953MiB``)."""
    unit = 0
    while size >= 1024 and unit < len(BINARY_UNITS) - 1:
        size /= 1024.0
        unit += 1
    return f"{_go_g(size, 4)}{BINARY_UNITS[unit]}"


def _go_g(value: float, precision: int) -> str:
    text = f"{value:.{precision}g}"
    if "e+" in text:  # Go writes at least two exponent digits
        mantissa, exponent = text.split("e+")
        text = f"{mantissa}e+{exponent.zfill(2)}"
    return text


def human_duration(seconds: float) -> str:
    """go-units ``HumanDuration``: "Less than a second", "About a minute", "3 days", ..."""
    if seconds < 1:
        return "Less than a second"
    if int(seconds) == 1:
        return "1 second"
    if seconds < 60:
        return f"{int(seconds)} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600 / 24 / 365)} years"


def parse_go_duration(text: str) -> int:
    """Go's ``time.ParseDuration`` (``1m30s``, ``500ms``, ``-2m``, ``0``) in nanoseconds;
    ValueError with Go's message (``time: invalid duration "x"``) when malformed."""
    import re  # not at the top: ``wharf version`` and ``--help`` import this module, light

    body = text[1:] if text[:1] in "+-" else text
    if body == "0":
        return 0
    pos, total = 0, 0.0
    for match in re.finditer(_DURATION_PART, body):
        if match.start() != pos:
            break
        total += float(match.group(1)) * DURATION_UNITS_NS[match.group(2)]
        pos = match.end()
    if not body or pos != len(body):
        raise ValueError(f'time: invalid duration "{text}"')
    return -int(total) if text.startswith("-") else int(total)
