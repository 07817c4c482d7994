"""Go's ``filepath.Match`` for ``/`` paths, as COPY and ADD use it for their wildcards.

``*`` is any run of characters other than ``/``, ``?`` one such character, ``[...]`` a class
(``^`` negates; ``\\`` escapes; ranges ``a-z``), ``\\x`` the character ``x``. A malformed
pattern matches nothing, as Go's ``Match`` returns false with its ``ErrBadPattern``.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["has_wildcards", "matches"]


class _BadPattern(ValueError):
    pass


def has_wildcards(name: str) -> bool:
    """Whether ``name`` holds an unescaped ``*``, ``?`` or ``[`` (Docker's containsWildcards)."""
    i = 0
    while i < len(name):
        if name[i] == "\\":
            i += 2
            continue
        if name[i] in "*?[":
            return True
        i += 1
    return False


def matches(pattern: str, name: str) -> bool:
    """Whether the whole of ``name`` matches ``pattern``."""
    regex = _compiled(pattern)
    return regex is not None and regex.fullmatch(name) is not None


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(_translate(pattern), re.DOTALL)
    except _BadPattern:
        return None


def _translate(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            out.append("[^/]*")
            i += 1
        elif ch == "?":
            out.append("[^/]")
            i += 1
        elif ch == "[":
            piece, i = _char_class(pattern, i + 1)
            out.append(piece)
        elif ch == "\\":
            if i + 1 >= len(pattern):
                raise _BadPattern(pattern)
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(ch))
            i += 1
    return "".join(out)


def _class_char(pattern: str, i: int) -> tuple[str, int]:
    if i >= len(pattern) or pattern[i] in "-]":
        raise _BadPattern(pattern)
    if pattern[i] == "\\":
        i += 1
        if i >= len(pattern):
            raise _BadPattern(pattern)
    return pattern[i], i + 1


def _char_class(pattern: str, i: int) -> tuple[str, int]:
    negated = pattern.startswith("^", i)
    i += negated
    items: list[str] = []
    while not items or (i < len(pattern) and pattern[i] != "]"):
        lo, i = _class_char(pattern, i)
        hi = lo
        if i < len(pattern) and pattern[i] == "-":
            hi, i = _class_char(pattern, i + 1)
        if lo > hi:
            raise _BadPattern(pattern)
        items.append(re.escape(lo) if lo == hi else f"{re.escape(lo)}-{re.escape(hi)}")
    if i >= len(pattern):
        raise _BadPattern(pattern)
    return f"[{'^' if negated else ''}{''.join(items)}]", i + 1
