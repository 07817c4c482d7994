"""Merging a later compose file into an earlier one, by docker compose's rules.

Mappings merge key by key; ``command``, ``entrypoint`` and the healthcheck ``test`` are
replaced; ``build: dir`` counts as ``{context: dir}``; ``environment``, ``labels``, build
``args`` and similar key/value fields merge by key whatever syntax (list or map) each file
used; ``depends_on`` and ``networks`` in list form become mappings when the other file used
one; a service's ``volumes`` merge by mount target (a later file's entry replaces the earlier
one with the same target, as docker compose v2); other sequences (ports, expose, dns...) are
appended; scalars are replaced.
"""

from __future__ import annotations

from typing import Any

REPLACED = frozenset({"command", "entrypoint", "test"})
BY_KEY = frozenset({"environment", "labels", "args", "extra_hosts", "driver_opts", "sysctls"})
LIST_OR_MAP = frozenset({"depends_on", "networks"})


def as_mapping(value: Any, colon: bool = False) -> dict[str, Any]:
    """``["K=V", "K2"]`` or ``{K: V}`` as one mapping (``K2`` with no value maps to None).

    ``colon`` also splits ``K:V`` (extra_hosts' own syntax), never for environment or labels.
    """
    if isinstance(value, dict):
        return dict(value)
    out: dict[str, Any] = {}
    for item in value or []:
        text = str(item)
        sep = ":" if colon and "=" not in text else "="
        key, has, val = text.partition(sep)
        out[key.strip()] = val.strip() if has else None
    return out


def merge_value(key: str, base: Any, over: Any) -> Any:
    """The value of ``key`` once ``over`` (later file) is merged into ``base``."""
    if key in REPLACED:
        return over
    if key == "build" and (isinstance(base, str) or isinstance(over, str)):
        return merge_value("", _build_mapping(base), _build_mapping(over))
    if key in BY_KEY and isinstance(base, dict | list) and isinstance(over, dict | list):
        colon = key == "extra_hosts"
        return {**as_mapping(base, colon), **as_mapping(over, colon)}
    if key == "volumes" and isinstance(base, list) and isinstance(over, list):
        return _by_target(base, over)
    if key in LIST_OR_MAP and _mixed(base, over):
        return merge_mappings(as_mapping(base), as_mapping(over))
    if isinstance(base, dict) and isinstance(over, dict):
        return merge_mappings(base, over)
    if isinstance(base, list) and isinstance(over, list):
        return base + [v for v in over if v not in base]
    return over


def merge_mappings(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` merged into a copy of ``base``."""
    out = dict(base)
    for key, value in over.items():
        out[key] = merge_value(str(key), out[key], value) if key in out else value
    return out


def _mixed(base: Any, over: Any) -> bool:
    """One side a list, the other a mapping (or both mappings): merge as mappings."""
    kinds = (type(base), type(over))
    return all(k in (dict, list) for k in kinds) and dict in kinds


def _build_mapping(value: Any) -> Any:
    """``build: ./dir`` as ``{context: ./dir}``, so a later file can add args or a target."""
    return {"context": value} if isinstance(value, str) else value


def _mount_target(entry: Any) -> Any:
    """The container path of a volume entry (short ``src:dst[:mode]`` or long), else itself."""
    if isinstance(entry, dict):
        return entry.get("target", entry)
    if isinstance(entry, str):
        parts = entry.split(":")
        return parts[1] if len(parts) >= 2 else parts[0]
    return entry


def _by_target(base: list[Any], over: list[Any]) -> list[Any]:
    """``volumes`` of two files: ``over``'s entries replace ``base``'s of the same target."""
    replaced = {_mount_target(v): v for v in over if isinstance(_mount_target(v), str)}
    kept = [v for v in base if _mount_target(v) not in replaced]
    return kept + [v for v in over if v not in kept]
