"""Go's ``filepath.Match`` for ``/`` paths: COPY and ADD wildcards, and ``.dockerignore`` rules.

``*`` is any run of characters other than ``/``, ``?`` one such character, ``[...]`` a class
(``^`` negates; ``\\`` escapes; ranges ``a-z``), ``\\x`` the character ``x``. A malformed
pattern matches nothing, as Go's ``Match`` returns false with its ``ErrBadPattern``.
``re`` is imported only on a pattern's first compile, to keep the CLI's import cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import re

__all__ = ["BadPattern", "has_wildcards", "matches", "translate"]

StarRule = Callable[[str, int], tuple[str, int]]


class BadPattern(ValueError):
    """A malformed pattern (Go's ``ErrBadPattern``); its argument is the pattern."""


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
    import re

    try:
        return re.compile(translate(pattern), re.DOTALL)
    except BadPattern:
        return None


def _esc(ch: str) -> str:
    """``ch`` as a literal in a Python regex."""
    if ch >= "\x80" or ch.isalnum() or ch == "_":
        return ch
    return "\\" + ch


def _one_star(pattern: str, i: int) -> tuple[str, int]:
    return "[^/]*", i + 1


def translate(
    pattern: str,
    *,
    star: StarRule = _one_star,
    class_must_continue: bool = False,
    reversed_range_ok: bool = False,
) -> str:
    """A Python regex (for ``fullmatch``) equivalent to ``pattern``; raises BadPattern.

    ``star`` gives the regex for the ``*`` at an index and the index after it (dockerignore
    adds ``**``). ``class_must_continue`` is dockerignore's stricter check that a class's
    character is never the pattern's last; ``reversed_range_ok`` lets a range like ``z-a``
    match nothing instead of being malformed (dockerignore); COPY and ADD keep both off.
    """
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            piece, i = star(pattern, i)
        elif ch == "?":
            piece, i = "[^/]", i + 1
        elif ch == "[":
            piece, i = _char_class(pattern, i + 1, class_must_continue, reversed_range_ok)
        elif ch == "\\":
            if i + 1 >= len(pattern):
                raise BadPattern(pattern)
            piece, i = _esc(pattern[i + 1]), i + 2
        else:
            piece, i = _esc(ch), i + 1
        out.append(piece)
    return "".join(out)


def _class_char(pattern: str, i: int, must_continue: bool) -> tuple[str, int]:
    """One (possibly escaped) character of a class, by Go's rules."""
    if i >= len(pattern) or pattern[i] in "-]":
        raise BadPattern(pattern)
    if pattern[i] == "\\":
        i += 1
    if i + must_continue >= len(pattern):
        raise BadPattern(pattern)
    return pattern[i], i + 1


def _char_class(
    pattern: str, i: int, must_continue: bool, reversed_range_ok: bool
) -> tuple[str, int]:
    """The regex for the class whose body starts at ``pattern[i]`` (after ``[``)."""
    negated = pattern.startswith("^", i)
    i += negated
    items: list[str] = []
    count = 0
    while count == 0 or (i < len(pattern) and pattern[i] != "]"):
        lo, i = _class_char(pattern, i, must_continue)
        hi = lo
        if i < len(pattern) and pattern[i] == "-":
            hi, i = _class_char(pattern, i + 1, must_continue)
        if lo <= hi:
            items.append(_esc(lo) if lo == hi else f"{_esc(lo)}-{_esc(hi)}")
        elif not reversed_range_ok:
            raise BadPattern(pattern)
        count += 1
    if i >= len(pattern):
        raise BadPattern(pattern)
    body = "".join(items)
    if not body:
        return ("(?s:.)" if negated else "(?!)"), i + 1
    return f"[{'^' if negated else ''}{body}]", i + 1
