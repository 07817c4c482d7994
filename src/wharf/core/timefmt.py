"""Docker's timestamps: RFC 3339 in UTC with nanoseconds (``2024-01-02T03:04:05.123456789Z``).

The one home of the format for the daemon, the shim, the runtime and the CLI.
"""

from __future__ import annotations

import time
from datetime import datetime

ZERO_TIME = "0001-01-01T00:00:00Z"  # Go's zero time.Time: "never" in Docker's JSON


def rfc3339_nano(ns: int | None = None) -> str:
    """``ns`` nanoseconds since the epoch (now when omitted) as Docker writes times."""
    if ns is None:
        ns = time.time_ns()
    seconds, nanos = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{nanos:09d}Z"


def now_rfc3339() -> str:
    return rfc3339_nano()


def seconds_rfc3339(epoch_seconds: float) -> str:
    """A float of seconds since the epoch, in the same format."""
    whole = int(epoch_seconds)
    nanos = min(round((epoch_seconds - whole) * 1_000_000_000), 999_999_999)
    return rfc3339_nano(whole * 1_000_000_000 + nanos)


def parse_rfc3339(text: str) -> float:
    """Seconds since the epoch of an RFC 3339 time with up to nanoseconds (0 for zero time)."""
    if not text or text.startswith("0001-01-01"):
        return 0.0
    main, _, rest = text.partition(".")
    fraction = "0"
    zone = ""
    if rest:
        digits = ""
        for index, char in enumerate(rest):
            if not char.isdigit():
                zone = rest[index:]
                break
            digits += char
        fraction = digits or "0"
    elif main.endswith("Z"):
        main, zone = main[:-1], "Z"
    else:
        main, zone = main[:19], main[19:]
    zone = "+00:00" if zone in ("Z", "") else zone
    moment = datetime.fromisoformat(main + zone)
    return moment.timestamp() + float("0." + fraction)
