"""``.env`` files as docker compose reads them (compose-go's dotenv).

``KEY=VAL`` lines, an optional ``export`` prefix, ``#`` comments (whole line, or after a space
in an unquoted value), single quotes literal, double quotes with ``\\n``-style escapes, empty
values. A line without ``=`` is an error naming the file and line.
"""

from __future__ import annotations

import re
from pathlib import Path

from wharf.compose.errors import ComposeError

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


def _unescape(text: str) -> str:
    """Double-quoted escapes; an unknown escape keeps its backslash (as compose does)."""
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text)


def _value(raw: str) -> str:
    """The value part: quoted (up to its closing quote) or bare with a trailing comment cut."""
    raw = raw.strip()
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        end = raw.find(quote, 1)
        while quote == '"' and end > 0 and raw[end - 1] == "\\":
            end = raw.find(quote, end + 1)
        if end > 0:
            inner = raw[1:end]
            return inner if quote == "'" else _unescape(inner)
    cut = re.search(r"\s#", raw)
    return (raw[: cut.start()] if cut else raw).strip()


def parse_env(text: str, source: str = ".env") -> dict[str, str]:
    """Parse ``.env`` text; later keys win, as compose reads the file top to bottom."""
    env: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export ") :].lstrip()
        key, sep, rest = stripped.partition("=")
        key = key.strip()
        if not sep or not _KEY.match(key):
            raise ComposeError(f"{source}: line {number}: unexpected character in variable name")
        env[key] = _value(rest)
    return env


def load_env_file(path: Path) -> dict[str, str]:
    """The file's variables, or none when it does not exist (``.env`` is optional)."""
    if not path.is_file():
        return {}
    return parse_env(path.read_text(encoding="utf-8"), str(path))
