"""JSON through the interpreter's own C codec (``_json``) without importing the ``json``
package, which pulls in ``re`` and ``enum``: about 10 ms of every CLI call on a small machine.

``loads`` and ``dumps`` give what ``json.loads`` and ``json.dumps(obj, separators=...)`` give
(they are the same C scanner and encoder ``json`` itself uses); indented or key-sorted output
still goes through ``json``, imported only by the commands that print it.
"""

from __future__ import annotations

import _json

from wharf.core.errors import InvalidParameter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

WHITESPACE = " \t\n\r"
_CONSTANTS = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}


class _ScanContext:
    """The attributes the C scanner reads from a ``json.JSONDecoder``."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__


_scan = _json.make_scanner(_ScanContext())  # type: ignore[arg-type]  # duck-typed context


def loads(data: str | bytes | bytearray) -> Any:
    """One JSON value from ``data``; ValueError when it is not exactly one."""
    text = bytes(data).decode() if isinstance(data, bytes | bytearray) else data
    start = len(text) - len(text.lstrip(WHITESPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration as exc:
        raise ValueError(f"Expecting value: char {exc.value}") from None
    if text[end:].strip(WHITESPACE):
        raise ValueError(f"Extra data: char {end}")
    return value


def loads_object(data: str | bytes | bytearray, what: str) -> dict[str, Any]:
    """One JSON object from untrusted ``data``; InvalidParameter naming ``what`` otherwise
    (malformed, too deeply nested for the parser, or not an object)."""
    try:
        value = loads(data)
    except (ValueError, RecursionError) as exc:
        raise InvalidParameter(f"{what}: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidParameter(f"{what}: not a JSON object")
    return value


def _unsupported(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: Any, *, separators: tuple[str, str] = (", ", ": ")) -> str:
    """``json.dumps(value, separators=separators)``: ASCII, keys in insertion order."""
    item_separator, key_separator = separators
    encode = _json.make_encoder({}, _unsupported, _json.encode_basestring_ascii, None,
                                key_separator, item_separator, False, False, True)
    return "".join(encode(value, 0))
