"""Go's ``strconv.Quote``, which both the CLI's templates (``printf "%q"``) and the classic
builder's history text (``%q`` of a command) show."""

from __future__ import annotations

__all__ = ["go_quote"]

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n",
            "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_quote(text: str) -> str:
    """Double quotes and Go's escapes; printable characters kept; other ASCII as ``\\xNN``,
    the rest as ``\\uNNNN`` or ``\\UNNNNNNNN`` (Go escapes U+0080-U+009F as ``\\u00NN``)."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'
