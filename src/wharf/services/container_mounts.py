"""A container's mounts besides its rootfs: ``Binds`` and ``Mounts`` (bind and tmpfs) and
``HostConfig.Tmpfs``, checked with dockerd's messages and turned into OCI mounts; and the
``Mounts`` list inspect shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wharf.core.errors import InvalidParameter
from wharf.services.container_support import mount_point
from wharf.services.container_tmpfs import (
    mount_entry_tmpfs,
    tmpfs_flag_mounts,
    tmpfs_mount_point,
)

__all__ = ["bind_mounts", "mount_points", "parse_bind", "user_mounts"]

_PROPAGATION = ("private", "rprivate", "shared", "rshared", "slave", "rslave")
_CONSISTENCY = ("consistent", "cached", "delegated")  # macOS only: dockerd ignores them


def user_mounts(host_config: dict[str, Any]) -> list[dict[str, Any]]:
    """Every OCI mount the request asks for. Two binds or ``--mount`` entries at one
    destination are refused as dockerd refuses them; a ``--tmpfs`` path takes the place of
    any of them at its destination (dockerd's precedence)."""
    mounts = [*bind_mounts(host_config), *mount_entry_tmpfs(host_config)]
    seen: set[str] = set()
    for mount in mounts:
        destination = mount["destination"].rstrip("/") or "/"
        if destination in seen:
            raise InvalidParameter(f"Duplicate mount point: {mount['destination']}")
        seen.add(destination)
    flag_tmpfs = tmpfs_flag_mounts(host_config)
    overridden = {m["destination"].rstrip("/") for m in flag_tmpfs}
    return [m for m in mounts if m["destination"].rstrip("/") not in overridden] + flag_tmpfs


def mount_points(host_config: dict[str, Any]) -> list[dict[str, Any]]:
    """inspect's ``Mounts``: binds and ``--mount type=tmpfs`` entries (Docker does not list
    ``--tmpfs`` ones). Every mount is checked on the way, so a bad one is a 400 at create."""
    user_mounts(host_config)
    points = [mount_point(m) for m in bind_mounts(host_config)]
    return points + [tmpfs_mount_point(m) for m in host_config.get("Mounts") or []
                     if m.get("Type") == "tmpfs"]


def bind_mounts(host_config: dict[str, Any]) -> list[dict[str, Any]]:
    """OCI mounts for ``Binds`` (``/host:/ctr[:opts]``) and ``Mounts`` of type bind."""
    mounts = [parse_bind(bind) for bind in host_config.get("Binds") or []]
    for mount in host_config.get("Mounts") or []:
        if mount.get("Type") == "tmpfs":
            continue
        if mount.get("Type", "bind") != "bind":
            raise InvalidParameter(f"mount type {mount.get('Type')!r} is not supported yet")
        source, target = mount.get("Source") or "", mount.get("Target") or ""
        if not source:
            raise InvalidParameter(
                'invalid mount config for type "bind": field Source must not be empty')
        _check_target("bind", target)
        propagation = (mount.get("BindOptions") or {}).get("Propagation") or ""
        mounts.append(_with_propagation(_bind(source, target, bool(mount.get("ReadOnly"))),
                                        propagation))
    return mounts


def parse_bind(spec: str) -> dict[str, Any]:
    """``/host:/container[:ro|rw,propagation,...]`` as dockerd's linux parser reads it."""
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise InvalidParameter(f"invalid volume specification: '{spec}'")
    if not parts[0].startswith("/"):
        raise InvalidParameter(
            f"named volumes (--volume {parts[0]}:{parts[1]}) are not supported yet")
    _check_target("bind", parts[1], spec)
    read_only, propagation = False, ""
    for option in (parts[2].split(",") if len(parts) == 3 else []):
        if option in ("ro", "rw"):
            read_only = option == "ro"
        elif option in _PROPAGATION:
            propagation = option
        elif option in ("z", "Z"):
            raise InvalidParameter(f"SELinux relabeling (:{option}) is not supported yet")
        elif option not in _CONSISTENCY:
            raise InvalidParameter(f"invalid mode: {option}")
    return _with_propagation(_bind(parts[0], parts[1], read_only), propagation)


def _check_target(kind: str, target: str, spec: str = "") -> None:
    if not target.startswith("/"):
        prefix = f"invalid volume specification: '{spec}': " if spec else ""
        raise InvalidParameter(f'{prefix}invalid mount config for type "{kind}": invalid '
                               f"mount path: '{target}' mount path must be absolute")
    if target.rstrip("/") == "":
        raise InvalidParameter(f'invalid mount config for type "{kind}": invalid specification:'
                               " destination can't be '/'")


def _with_propagation(mount: dict[str, Any], propagation: str) -> dict[str, Any]:
    if propagation:
        mount["options"].append(propagation)
    return mount


def _bind(source: str, target: str, read_only: bool) -> dict[str, Any]:
    if not Path(source).exists():
        raise InvalidParameter(f"invalid mount config: bind source path does not exist: {source}")
    options = ["rbind", "ro", "rro"] if read_only else ["rbind", "rw"]  # rro: moby 25+
    return {"destination": target, "type": "bind", "source": source, "options": options}
