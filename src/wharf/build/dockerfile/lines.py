"""Physical lines to logical lines: directives, comments, continuations, heredocs."""

import re
from dataclasses import dataclass

from wharf.build.dockerfile.errors import DockerfileError
from wharf.build.dockerfile.model import Heredoc
from wharf.build.dockerfile.words import split_words

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([a-zA-Z_][a-zA-Z0-9._-]*)\2")
HEREDOC_KEYWORDS = frozenset({"run", "copy", "add"})


@dataclass(frozen=True)
class LogicalLine:
    line: int
    text: str
    original: str
    heredocs: tuple[Heredoc, ...] = ()


@dataclass
class Directives:
    escape: str = "\\"
    syntax: str | None = None


def read_directives(lines: list[str]) -> tuple[Directives, int]:
    """Read parser directives at the top; return them and the first other line."""
    found = Directives()
    seen: set[str] = set()
    for index, raw in enumerate(lines):
        match = _DIRECTIVE.match(raw.strip())
        if not match:
            return found, index
        name, value = match.group(1).lower(), match.group(2)
        if name not in ("escape", "syntax", "check"):
            return found, index
        if name in seen:
            raise DockerfileError(f"only one {name} parser directive can be used")
        seen.add(name)
        if name == "escape":
            if value not in ("\\", "`"):
                raise DockerfileError(f"invalid escape token '{value}' does not match ` or \\")
            found.escape = value
        elif name == "syntax":
            found.syntax = value
    return found, len(lines)


def _continues(text: str, escape: str) -> tuple[bool, str]:
    stripped = text.rstrip(" \t")
    if stripped.endswith(escape):
        return True, stripped[: -len(escape)]
    return False, text


def _unquoted(match: "re.Match[str]") -> bool:
    before = match.string[: match.start()]
    return not any(q in before for q in "'\"")


def _is_comment(text: str) -> bool:
    return text.lstrip(" \t").startswith("#")


class _Reader:
    def __init__(self, lines: list[str], start: int, escape: str) -> None:
        self.lines = lines
        self.pos = start
        self.escape = escape

    def logical_lines(self) -> list[LogicalLine]:
        out: list[LogicalLine] = []
        while self.pos < len(self.lines):
            raw = self.lines[self.pos]
            self.pos += 1
            if not raw.strip() or _is_comment(raw):
                continue
            out.append(self.one(raw))
        return out

    def one(self, first: str) -> LogicalLine:
        number = self.pos
        parts, originals = [], [first]
        more, text = _continues(first, self.escape)
        parts.append(text)
        while more and self.pos < len(self.lines):
            raw = self.lines[self.pos]
            self.pos += 1
            originals.append(raw)
            if _is_comment(raw) or not raw.strip():
                continue
            more, text = _continues(raw, self.escape)
            parts.append(text)
        joined = "".join(parts).strip()
        try:
            heredocs = self.heredocs(joined, originals)
        except DockerfileError as err:
            raise DockerfileError.at(number, str(err)) from None
        return LogicalLine(number, joined, "\n".join(originals), heredocs)

    def heredocs(self, text: str, originals: list[str]) -> tuple[Heredoc, ...]:
        keyword = text.split(None, 1)[0].lower() if text else ""
        if keyword not in HEREDOC_KEYWORDS:
            return ()
        found = (_HEREDOC.search(word) for word in split_words(text, self.escape))
        return tuple(self.heredoc(m, originals) for m in found if m and _unquoted(m))

    def heredoc(self, match: "re.Match[str]", originals: list[str]) -> Heredoc:
        chomp, quote, name = match.group(1) == "-", match.group(2), match.group(3)
        body: list[str] = []
        while self.pos < len(self.lines):
            raw = self.lines[self.pos]
            self.pos += 1
            originals.append(raw)
            line = raw.lstrip("\t") if chomp else raw
            if line == name:
                return Heredoc(name, "".join(b + "\n" for b in body), not quote, chomp)
            body.append(line)
        raise DockerfileError(f"unterminated heredoc: {name} (no terminating line)")


def logical_lines(source: str) -> tuple[Directives, list[LogicalLine]]:
    """Split *source* into its directives and its logical lines."""
    lines = source.replace("\r\n", "\n").split("\n")
    directives, start = read_directives(lines)
    return directives, _Reader(lines, start, directives.escape).logical_lines()
