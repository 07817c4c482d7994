"""``${VAR}`` interpolation of compose files, as compose-go's template package does it.

Forms: ``$VAR``, ``${VAR}``, ``${VAR:-default}`` (unset or empty), ``${VAR-default}`` (unset),
``${VAR:?err}``/``${VAR?err}`` (fail), ``${VAR:+alt}``/``${VAR+alt}`` (replace when set),
``$$`` for a literal ``$``; defaults may hold further ``${...}``. Only string values are
interpolated, never mapping keys. An undefined variable without default becomes ``""`` with a
warning, as compose prints one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from wharf.compose.errors import ComposeError

log = logging.getLogger(__name__)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPS = (":-", ":?", ":+", "-", "?", "+")

Warn = Callable[[str], None]


def _closing(text: str, start: int) -> int:
    """Index of the ``}`` closing the ``${`` whose body starts at ``start`` (nesting aware)."""
    depth = 1
    i = start
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ComposeError(f"invalid interpolation format for {text!r}: unclosed '${{'")


def _braced(body: str, env: Mapping[str, str], warn: Warn, whole: str) -> str:
    """The value of one ``${body}``."""
    match = _NAME.match(body)
    if not match:
        raise ComposeError(f"invalid interpolation format for {whole!r}: '${{{body}}}'")
    name, rest = match.group(0), body[match.end() :]
    if not rest:
        return _lookup(name, env, warn)
    op = next((o for o in _OPS if rest.startswith(o)), None)
    if op is None:
        raise ComposeError(f"invalid interpolation format for {whole!r}: '${{{body}}}'")
    arg = rest[len(op) :]
    value = env.get(name)
    present = value is not None and (value != "" or not op.startswith(":"))
    if op.endswith("-"):
        return value if present and value is not None else interpolate(arg, env, warn)
    if op.endswith("+"):
        return interpolate(arg, env, warn) if present else ""
    if not present or value is None:
        message = interpolate(arg, env, warn)
        detail = f": {message}" if message else ""
        raise ComposeError(f"required variable {name} is missing a value{detail}")
    return value


def _lookup(name: str, env: Mapping[str, str], warn: Warn) -> str:
    if name in env:
        return env[name]
    warn(f'The "{name}" variable is not set. Defaulting to a blank string.')
    return ""


def interpolate(text: str, env: Mapping[str, str], warn: Warn = log.warning) -> str:
    """Substitute every variable of ``text`` from ``env``."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "$" or i + 1 >= len(text):
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "{":
            end = _closing(text, i + 2)
            out.append(_braced(text[i + 2 : end], env, warn, text))
            i = end + 1
        elif match := _NAME.match(text, i + 1):
            out.append(_lookup(match.group(0), env, warn))
            i = match.end()
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def interpolate_tree(
    node: Any, env: Mapping[str, str], warn: Warn = log.warning, path: str = ""
) -> Any:
    """Every string value of a loaded YAML tree interpolated; keys and non-strings untouched."""
    if isinstance(node, str):
        def warn_here(message: str) -> None:  # the field named, as errors name it
            warn(f"{path}: {message}" if path else message)

        try:
            return interpolate(node, env, warn_here)
        except ComposeError as err:
            raise ComposeError(f"{path}: {err}" if path else str(err)) from None
    if isinstance(node, dict):
        return {k: interpolate_tree(v, env, warn, _join(path, str(k))) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate_tree(v, env, warn, _join(path, str(n))) for n, v in enumerate(node)]
    return node


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
