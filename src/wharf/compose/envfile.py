"""``.env`` files as docker compose reads them (compose-go's dotenv).

``KEY=VAL`` lines, an optional ``export`` prefix, ``#`` comments (whole line, or after a space
in an unquoted value), single quotes literal, double quotes with ``\\n``-style escapes, empty
values. Unquoted and double-quoted values expand ``${VAR}`` from the environment first, then
from the variables defined above them; single-quoted values stay literal. A line without ``=``
is an error naming the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from wharf.compose.errors import ComposeError
from wharf.compose.interpolate import interpolate

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


def _unescape(text: str) -> str:
    """Double-quoted escapes; an unknown escape keeps its backslash (as compose does)."""
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text)


def _closing_quote(raw: str) -> int:
    """Index of the quote closing ``raw[0]``, -1 if none; backslash escapes inside ``"``."""
    quote, i = raw[0], 1
    while i < len(raw):
        if quote == '"' and raw[i] == "\\":
            i += 2
            continue
        if raw[i] == quote:
            return i
        i += 1
    return -1


def _value(raw: str) -> tuple[str, bool]:
    """The value part and whether it expands (not single-quoted); a bare value loses its comment."""
    raw = raw.strip()
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        end = _closing_quote(raw)
        if end > 0:
            inner = raw[1:end]
            return (inner, False) if quote == "'" else (_unescape(inner), True)
    cut = re.search(r"\s#", raw)
    return (raw[: cut.start()] if cut else raw).strip(), True


def parse_env(
    text: str, source: str = ".env", environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Parse ``.env`` text; later keys win, as compose reads the file top to bottom."""
    env: dict[str, str] = {}
    lines = text.splitlines()
    number = 0
    while number < len(lines):
        stripped = lines[number].strip()
        number += 1
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export ") :].lstrip()
        key, sep, rest = stripped.partition("=")
        key = key.strip()
        if not sep or not _KEY.match(key):
            raise ComposeError(f"{source}: line {number}: unexpected character in variable name")
        while _open_quote(rest) and number < len(lines):  # a quoted value spans lines
            rest += "\n" + lines[number]
            number += 1
        value, expands = _value(rest)
        env[key] = interpolate(value, {**env, **(environ or {})}, _quiet) if expands else value
    return env


def _open_quote(rest: str) -> bool:
    raw = rest.strip()
    return raw[:1] in ("'", '"') and _closing_quote(raw) < 0


def _quiet(_message: str) -> None:
    """An undefined variable in ``.env`` expands to "" without a warning, as in compose."""


def load_env_file(path: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The file's variables, or none when it does not exist (``.env`` is optional)."""
    if not path.is_file():
        return {}
    try:
        return parse_env(path.read_text(encoding="utf-8"), str(path), environ)
    except ComposeError as err:
        if str(err).startswith(str(path)):
            raise
        raise ComposeError(f"{path}: {err}") from None
