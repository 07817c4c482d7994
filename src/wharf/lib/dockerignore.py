"""Docker's ``.dockerignore`` rules: read the file, match paths, walk a build context.

Patterns use Go ``filepath.Match`` syntax (``*``, ``?``, ``[...]`` with ``^`` negation and
``\\`` escapes) plus ``**`` for any number of directories. Later rules win; a ``!`` rule
re-includes. A pattern that matches a directory also matches everything under it. Classes follow
Go's rules, so ``[!a]`` is the class of ``!`` and ``a`` (as in Docker), not a negation.
Regexes are built lazily, on a pattern's first use, to keep the import cheap.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from wharf.core.errors import InvalidParameter

if TYPE_CHECKING:
    import re

__all__ = ["PatternMatcher", "clean_path", "parse_ignore_file", "walk_context"]

_BOM = "\ufeff"
_ASCII_SPACE = " \t\n\v\f\r"
_SYNTAX = "syntax error in pattern"


def _trim(text: str) -> str:
    """Strip whitespace the way Go's strings.TrimSpace does."""
    start, end = 0, len(text)
    while start < end and _is_space(text[start]):
        start += 1
    while end > start and _is_space(text[end - 1]):
        end -= 1
    return text[start:end]


def _is_space(ch: str) -> bool:
    return ch in _ASCII_SPACE if ch < "\x80" else ch.isspace()


def clean_path(path: str) -> str:
    """Go's ``filepath.Clean`` for ``/`` paths: the shortest equivalent path, ``.`` if empty."""
    rooted = path.startswith("/")
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part != "..":
            out.append(part)
        elif out and out[-1] != "..":
            out.pop()
        elif not rooted:
            out.append("..")
    joined = "/".join(out)
    if rooted:
        return "/" + joined
    return joined or "."


def _normalize_line(line: str) -> str | None:
    """One line of the file as the docker CLI keeps it, or None for a comment or blank."""
    if line.startswith("#"):
        return None
    pattern = _trim(line)
    if not pattern:
        return None
    invert = pattern.startswith("!")
    if invert:
        pattern = _trim(pattern[1:])
    if pattern:
        pattern = clean_path(pattern)
        if len(pattern) > 1 and pattern.startswith("/"):
            pattern = pattern[1:]
    return "!" + pattern if invert else pattern


def parse_ignore_file(content: str | bytes) -> list[str]:
    """The patterns of a ``.dockerignore`` file's content, in order."""
    text = content.decode("utf-8", "surrogateescape") if isinstance(content, bytes) else content
    text = text.removeprefix(_BOM)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    patterns = [_normalize_line(line.removesuffix("\r")) for line in lines]
    return [p for p in patterns if p is not None]
