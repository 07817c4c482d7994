"""``RUN --mount=...`` and ``wharf build -v`` values read and checked as BuildKit's Dockerfile
frontend reads them (its keys, defaults and messages), into typed values."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from wharf.core.errors import InvalidParameter

__all__ = ["MountSpec", "Volume", "parse_mount", "parse_volume"]

MOUNT_TYPES = ("bind", "cache", "tmpfs", "secret", "ssh")
SHARING_MODES = ("shared", "private", "locked")
_KEYS = {
    "type": "type", "from": "from", "source": "source", "src": "source", "target": "target",
    "dst": "target", "destination": "target", "readonly": "readonly", "ro": "readonly",
    "readwrite": "readwrite", "rw": "readwrite", "required": "required", "size": "size",
    "id": "id", "sharing": "sharing", "mode": "mode", "uid": "uid", "gid": "gid", "env": "env",
}
_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")
_RAM = re.compile(r"^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")


@dataclass(frozen=True)
class MountSpec:
    """One ``--mount`` flag, defaults applied; ``target`` absolute (relative ones are taken
    from the step's WORKDIR, as BuildKit does)."""

    type: str
    target: str
    source: str = ""
    from_: str = ""
    read_only: bool = False
    id: str = ""
    sharing: str = "shared"
    required: bool = False
    size: int = 0
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None


@dataclass(frozen=True)
class Volume:
    """``wharf build -v /host:/ctr[:ro]`` (Podman's build-time volumes)."""

    source: str
    target: str
    read_only: bool


def parse_mount(options: dict[str, str], workdir: str) -> MountSpec:
    """A ``--mount`` flag's key/value pairs (bare keys arrive as ``"true"``)."""
    values: dict[str, str] = {}
    for key, value in options.items():
        canonical = _KEYS.get(key.lower())
        if canonical is None:
            raise InvalidParameter(f"unexpected key '{key}' in '{key}={value}'")
        values[canonical] = value
    kind = values.get("type", "bind").lower()
    if kind not in MOUNT_TYPES:
        raise InvalidParameter(f'unsupported mount type "{values["type"]}"')
    if kind == "ssh":
        raise InvalidParameter("RUN --mount=type=ssh is not supported (wharf forwards no SSH "
                               "agent)")
    _check_keys_for(kind, values)
    if kind == "secret":
        return _secret(values, workdir)
    return _mount(kind, values, workdir)


def _check_keys_for(kind: str, values: dict[str, str]) -> None:
    for key in ("required", "size"):
        if key in values and kind not in {"required": ("secret",), "size": ("tmpfs",)}[key]:
            raise InvalidParameter(f"unexpected key '{key}' for mount type '{kind}'")
    if kind not in ("secret", "cache"):
        for key in ("mode", "uid", "gid"):
            if key in values:
                raise InvalidParameter(f'{key} not allowed for "{kind}" type mounts')
    if "sharing" in values:
        if values["sharing"].lower() not in SHARING_MODES:
            raise InvalidParameter(f'unsupported sharing value "{values["sharing"]}"')
        if kind != "cache":
            raise InvalidParameter(f"invalid cache sharing set for {kind} mount")
    if "env" in values:
        raise InvalidParameter("RUN --mount=type=secret,env= is not supported yet")
    if kind == "cache" and ("from" in values or "source" in values):
        # source= would be a path inside a directory other RUNs write at the same time: one
        # of them could swap it for a symlink between our check and the bind
        raise InvalidParameter("RUN --mount=type=cache with from= or source= is not supported "
                               "yet")


def _mount(kind: str, values: dict[str, str], workdir: str) -> MountSpec:
    raw_target = values.get("target", "")
    if not raw_target:
        raise InvalidParameter(f"mount type {kind} needs a target")
    return MountSpec(
        type=kind, target=absolute_target(raw_target, workdir),
        source=values.get("source", ""), from_=values.get("from", ""),
        read_only=_read_only(values, default=kind == "bind"),
        id=values.get("id") or posixpath.normpath(raw_target),
        sharing=values.get("sharing", "shared").lower(),
        size=ram_in_bytes(values["size"]) if "size" in values else 0,
        mode=_number(values, "mode", 8), uid=_number(values, "uid", 10),
        gid=_number(values, "gid", 10),
    )


def _secret(values: dict[str, str], workdir: str) -> MountSpec:
    """BuildKit's secret rules: the id is ``source`` or ``id`` or the target's base name;
    the target defaults to ``/run/secrets/<id>``; mode 0400, the daemon's (root's) unless
    uid/gid say otherwise."""
    if "from" in values:
        raise InvalidParameter("secret mount should not have a from")
    source, secret_id, target = (values.get(k, "") for k in ("source", "id", "target"))
    if not (source or secret_id or target):
        raise InvalidParameter("invalid secret mount. one of source, target required")
    if source and secret_id:
        raise InvalidParameter("both source and id can't be set")
    secret_id = source or secret_id or posixpath.basename(target)
    target = target or "/run/secrets/" + posixpath.basename(secret_id)
    mode = _number(values, "mode", 8)
    return MountSpec(
        type="secret", target=absolute_target(target, workdir), id=secret_id, read_only=True,
        required=_bool(values, "required") if "required" in values else False,
        mode=0o400 if mode is None else mode, uid=_number(values, "uid", 10),
        gid=_number(values, "gid", 10),
    )


def absolute_target(target: str, workdir: str) -> str:
    """``target`` taken from ``workdir`` when relative, cleaned; ``/`` itself is refused."""
    joined = posixpath.normpath(posixpath.join("/", workdir or "/", target))
    joined = "/" + joined.lstrip("/")
    if joined == "/":
        raise InvalidParameter(f'invalid mount target "{target}"')
    return joined


def _read_only(values: dict[str, str], default: bool) -> bool:
    if "readonly" in values:
        return _bool(values, "readonly")
    if "readwrite" in values:
        return not _bool(values, "readwrite")
    return default


def _bool(values: dict[str, str], key: str) -> bool:
    """Go's ``strconv.ParseBool``."""
    value = values[key]
    if value in _TRUE or value in _FALSE:
        return value in _TRUE
    raise InvalidParameter(f"invalid value for {key}: {value}")


def _number(values: dict[str, str], key: str, base: int) -> int | None:
    if key not in values:
        return None
    value = values[key]
    digits = "01234567" if base == 8 else "0123456789"
    if not value or any(c not in digits for c in value) or int(value, base) >= 1 << 32:
        raise InvalidParameter(f"invalid value {value} for {key}")
    return int(value, base)


def ram_in_bytes(text: str) -> int:
    """go-units ``RAMInBytes``: ``64m``, ``1.5GiB``, ``512`` (binary multiples)."""
    match = _RAM.match(text)
    if match is None:
        raise InvalidParameter(f"invalid value for size: {text}")
    power = " kmgtp".index((match.group(2) or " ").lower())
    return int(float(match.group(1)) * (1024 ** power))


def parse_volume(spec: str) -> Volume:
    """``/host:/ctr[:ro|rw]``: both paths absolute, the host one existing on the daemon's
    side (checked when the RUN container is made)."""
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise InvalidParameter(f"invalid volume specification: '{spec}'")
    if not parts[0].startswith("/") or not parts[1].startswith("/"):
        raise InvalidParameter(f"invalid volume specification: '{spec}': build volumes need "
                               "absolute host and container paths")
    mode = parts[2] if len(parts) == 3 else "rw"
    if mode not in ("ro", "rw"):
        raise InvalidParameter(f"invalid mode: {mode}")
    target = absolute_target(parts[1], "/")
    return Volume(source=parts[0], target=target, read_only=mode == "ro")
