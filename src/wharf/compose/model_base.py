"""Checks shared by the model's builders: types, durations, byte sizes, error location.

Every error goes through :class:`Ctx` so it names the file (when known), the service and the
field, as ``compose.yaml: services.web.ports: ...``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NoReturn

from wharf.compose.errors import ComposeError, where
from wharf.compose.merge import as_mapping
from wharf.core.units import parse_go_duration

_BYTES = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgt]?)b?$", re.IGNORECASE)


@dataclass(frozen=True)
class Ctx:
    """Where a value comes from: its file (None once merged from several) and its path."""

    file: str | None
    path: str

    def sub(self, key: str) -> Ctx:
        return Ctx(self.file, f"{self.path}.{key}" if self.path else key)

    def fail(self, message: str) -> NoReturn:
        prefix = where(self.file, self.path)
        raise ComposeError(f"{prefix}: {message}" if prefix else message)


def as_str(ctx: Ctx, value: Any) -> str:
    """A string field; numbers are accepted as compose's YAML often writes them bare."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        ctx.fail(f"must be a string, not {type(value).__name__}")
    return str(value)


def opt_str(ctx: Ctx, value: Any) -> str | None:
    return None if value is None else as_str(ctx, value)


def as_bool(ctx: Ctx, value: Any) -> bool:
    if not isinstance(value, bool):
        ctx.fail(f"must be a boolean, not {type(value).__name__}")
    return value


def as_int(ctx: Ctx, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        ctx.fail(f"must be an integer, not {type(value).__name__}")
    return value


def as_dict(ctx: Ctx, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        ctx.fail(f"must be a mapping, not {type(value).__name__}")
    return {str(k): v for k, v in value.items()}


def str_list(ctx: Ctx, value: Any) -> list[str]:
    """A string or a list of strings, as list (``dns: 8.8.8.8`` or ``dns: [8.8.8.8]``)."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        ctx.fail(f"must be a string or a list, not {type(value).__name__}")
    return [as_str(ctx.sub(str(n)), v) for n, v in enumerate(value)]


def str_map(ctx: Ctx, value: Any, allow_none: bool = True) -> dict[str, str | None]:
    """``[K=V]`` or ``{K: V}`` as ``{K: V}``; a key with no value is None (taken from env)."""
    if not isinstance(value, dict | list):
        ctx.fail(f"must be a mapping or a list, not {type(value).__name__}")
    if isinstance(value, list):
        value = as_mapping([as_str(ctx, v) for v in value])
    out: dict[str, str | None] = {}
    for key, val in value.items():
        if val is None and not allow_none:
            ctx.sub(str(key)).fail("must have a value")
        out[str(key)] = None if val is None else _scalar_text(ctx.sub(str(key)), val)
    return out


def _scalar_text(ctx: Ctx, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return as_str(ctx, value)


def only_keys(ctx: Ctx, data: dict[str, Any], allowed: frozenset[str]) -> None:
    """Reject keys outside ``allowed`` (``x-`` extensions always pass)."""
    for key in data:
        if key not in allowed and not key.startswith("x-"):
            ctx.sub(key).fail("not supported by wharf")


def duration(ctx: Ctx, value: Any) -> float:
    """A compose duration (Go's: ``1m30s``, ``500ms``, ``1.5h``) in seconds."""
    text = as_str(ctx, value)
    try:
        if text[:1] in "+-":
            raise ValueError("a compose duration has no sign")
        return parse_go_duration(text) / 1e9
    except ValueError:
        ctx.fail(f"invalid duration {text!r}")


def byte_size(ctx: Ctx, value: Any) -> int:
    """``512m``, ``1gb``, ``1024`` as bytes (compose's units, powers of 1024)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _BYTES.match(as_str(ctx, value).strip())
    if not match:
        ctx.fail(f"invalid size {value!r}")
    power = " kmgt".index(match.group(2).lower() or " ")
    return int(float(match.group(1)) * 1024**power)
