"""Reading what a registry sends without trusting it: JSON that may be nested past Python's
recursion limit or hold integers past its digit limit, and numeric headers that may hold
non-ASCII digits or thousands of them. Each failure is a ``RemoteFailure``, never a stray
``RecursionError`` / ``ValueError`` out of the client."""

from __future__ import annotations

import json
import re
from typing import Any

from wharf.core.errors import RemoteFailure

__all__ = ["header_int", "load_json"]

# 18 digits: below 2**63, far beyond any blob, and far below int()'s 4300-digit limit.
_HEADER_INT_RE = re.compile(r"[0-9]{1,18}")


def load_json(data: bytes, what: str) -> Any:
    """``data`` parsed; RemoteFailure naming ``what`` when it is not (bounded) JSON."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as error:
        raise RemoteFailure(f"malformed {what}: {str(error)[:200]}") from error


def header_int(value: str | None) -> int | None:
    """A non-negative integer header (``Content-Length``), None when absent or not one."""
    if value is None:
        return None
    text = value.strip()
    return int(text) if _HEADER_INT_RE.fullmatch(text) else None
