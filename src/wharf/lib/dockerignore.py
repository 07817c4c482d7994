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
from wharf.lib.gomatch import BadPattern, translate

if TYPE_CHECKING:
    import re

__all__ = [
    "Pattern",
    "PatternMatcher",
    "clean_path",
    "keep_build_files",
    "parse_ignore_file",
    "walk_context",
]

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


def _syntax_error(pattern: str) -> InvalidParameter:
    return InvalidParameter(f"{_SYNTAX}: {pattern!r}")


def _star(pattern: str, i: int) -> tuple[str, int]:
    """The regex for the ``*`` or ``**`` at ``pattern[i]``, and the index after it."""
    if not pattern.startswith("**", i):
        return "[^/]*", i + 1
    j = i + 2
    if pattern.startswith("/", j):
        j += 1
    return (".*" if j >= len(pattern) else "(?:.*/)?"), j


def _translate(pattern: str) -> str:
    """A Python regex (for ``fullmatch``) equivalent to one cleaned pattern; checks its syntax.

    Go's ``filepath.Match`` plus ``**``; unlike COPY's wildcards, a class's character may not
    end the pattern and a reversed range (``z-a``) matches nothing rather than being malformed.
    """
    try:
        return translate(pattern, star=_star, class_must_continue=True, reversed_range_ok=True)
    except BadPattern:
        raise _syntax_error(pattern) from None


class Pattern:
    """One compiled rule: ``text`` is the cleaned pattern without its ``!``."""

    __slots__ = ("_regex", "_source", "exclusion", "text")

    def __init__(self, text: str, *, exclusion: bool) -> None:
        self.text = text
        self.exclusion = exclusion
        self._source = _translate(text)
        self._regex: re.Pattern[str] | None = None

    def match(self, path: str) -> bool:
        """Whether ``path`` (``/``-separated, relative) matches this pattern itself."""
        if self._regex is None:
            import re  # kept off the CLI import path

            self._regex = re.compile(self._source)
        return self._regex.fullmatch(path) is not None

    def match_parents(self, path: str) -> bool:
        """Whether any ancestor directory of ``path`` matches this pattern."""
        parts = path.split("/")[:-1]
        return any(self.match("/".join(parts[: k + 1])) for k in range(len(parts)))


def _compile(raw: str) -> Pattern:
    text = clean_path(_trim(raw))
    if not text.startswith("!"):
        return Pattern(text, exclusion=False)
    if text == "!":
        raise InvalidParameter('illegal exclusion pattern: "!"')
    return Pattern(text[1:], exclusion=True)


class PatternMatcher:
    """An ordered list of rules; the last rule that matches a path decides."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = [_compile(p) for p in patterns if _trim(p)]
        self.has_exclusions = any(p.exclusion for p in self.patterns)

    def matches(self, path: str) -> bool:
        """Whether ``path`` is excluded, testing each rule on it and on its parent dirs."""
        return self.evaluate(path)[0]

    def evaluate(
        self, path: str, parent: tuple[bool, ...] = ()
    ) -> tuple[bool, tuple[bool, ...]]:
        """Whether ``path`` is excluded, and which rules matched it, given the parent's answer
        (which spares re-testing the parent dirs; empty means unknown)."""
        excluded = False
        hits: list[bool] = []
        for idx, pat in enumerate(self.patterns):
            hit = bool(parent) and parent[idx]
            if not hit and pat.exclusion != excluded:
                hits.append(False)
                continue
            if not hit:
                hit = pat.match(path) or (not parent and pat.match_parents(path))
            hits.append(hit)
            if hit:
                excluded = not pat.exclusion
        return excluded, tuple(hits)

    def may_reinclude_under(self, directory: str) -> bool:
        """Whether an exception rule could name something inside the excluded ``directory``."""
        prefix = directory + "/"
        return any(p.exclusion and (p.text + "/").startswith(prefix) for p in self.patterns)


def walk_context(
    root: str | os.PathLike[str], rules: Iterable[str] | PatternMatcher
) -> Iterator[str]:
    """The ``/``-separated paths under ``root`` that the rules keep, directories before their
    contents, names in byte order. Symlinks are not followed. An excluded directory is skipped
    whole unless an exception rule names a path inside it; then it is walked but not listed."""
    matcher = rules if isinstance(rules, PatternMatcher) else PatternMatcher(rules)
    yield from _walk(matcher, os.fspath(root), "", ())


def _walk(matcher: PatternMatcher, top: str, rel: str, state: tuple[bool, ...]) -> Iterator[str]:
    with os.scandir(top) as it:
        entries = sorted(it, key=lambda e: os.fsencode(e.name))
    for entry in entries:
        path = f"{rel}{entry.name}"
        excluded, hits = matcher.evaluate(path, state)
        is_dir = entry.is_dir(follow_symlinks=False)
        if not excluded:
            yield path
        if is_dir and (not excluded or matcher.may_reinclude_under(path)):
            yield from _walk(matcher, entry.path, path + "/", hits)


def keep_build_files(patterns: list[str], dockerfile: str | None) -> list[str]:
    """``patterns`` plus exceptions for ``.dockerignore`` and the Dockerfile (its path relative
    to the context; None when it comes from stdin) if they would be excluded, as the docker CLI
    does: the daemon still needs them, though COPY and ADD will not see them."""
    kept = list(patterns)
    for name in (".dockerignore", dockerfile):
        if name is not None and PatternMatcher(kept).matches(name):
            kept.append("!" + name)
    return kept
