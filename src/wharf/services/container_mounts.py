"""A container's mounts besides its rootfs: ``Binds`` (``/host:/ctr[:opts]`` and
``name:/ctr[:opts]``), ``Mounts`` (bind, volume, tmpfs) and ``HostConfig.Tmpfs``, checked with
dockerd's messages; host binds and tmpfs turned into OCI mounts here, volumes described for
``volumes_containers`` (which makes and mounts them); and the ``Mounts`` list inspect shows."""

from __future__ import annotations

import os
from typing import Any

from wharf.core.errors import InvalidParameter
from wharf.services.container_tmpfs import (
    mount_entry_tmpfs,
    tmpfs_flag_mounts,
    tmpfs_mount_point,
)

__all__ = ["bind_mounts", "mount_points", "parse_bind", "user_mounts", "volume_specs"]

_PROPAGATION = ("private", "rprivate", "shared", "rshared", "slave", "rslave")
_CONSISTENCY = ("consistent", "cached", "delegated")  # macOS only: dockerd ignores them
_LABELS = ("z", "Z")  # SELinux relabeling: nothing to do on a host without SELinux


def user_mounts(host_config: dict[str, Any]) -> list[dict[str, Any]]:
    """Every OCI mount of host paths and tmpfs the request asks for. Two binds or
    ``--mount`` entries at one destination are refused as dockerd refuses them; a ``--tmpfs``
    path takes the place of any of them at its destination (dockerd's precedence)."""
    mounts = [*bind_mounts(host_config), *mount_entry_tmpfs(host_config)]
    seen = {spec["Destination"].rstrip("/") for spec in volume_specs(host_config)}
    for mount in mounts:
        destination = mount["destination"].rstrip("/") or "/"
        if destination in seen:
            raise InvalidParameter(f"Duplicate mount point: {mount['destination']}")
        seen.add(destination)
    flag_tmpfs = tmpfs_flag_mounts(host_config)
    overridden = {m["destination"].rstrip("/") for m in flag_tmpfs}
    return [m for m in mounts if m["destination"].rstrip("/") not in overridden] + flag_tmpfs


def mount_points(host_config: dict[str, Any]) -> list[dict[str, Any]]:
    """inspect's ``Mounts`` for binds and ``--mount type=tmpfs`` entries (Docker does not
    list ``--tmpfs`` ones; volumes are added by ``volumes_containers``). Every mount is
    checked on the way, so a bad one is a 400 at create."""
    user_mounts(host_config)
    binds = bind_mounts(host_config)
    modes = [",".join(_split_bind(b)[2]) for b in host_config.get("Binds") or []
             if b.startswith("/")]
    points = [_bind_point(m, mode) for m, mode in
              zip(binds, modes + [""] * (len(binds) - len(modes)), strict=True)]
    return points + [tmpfs_mount_point(m) for m in host_config.get("Mounts") or []
                     if m.get("Type") == "tmpfs"]


def bind_mounts(host_config: dict[str, Any]) -> list[dict[str, Any]]:
    """OCI mounts for ``Binds`` of host paths and ``Mounts`` of type bind."""
    mounts = [parse_bind(bind) for bind in host_config.get("Binds") or []
              if bind.startswith("/")]
    for mount in host_config.get("Mounts") or []:
        if mount.get("Type") in ("tmpfs", "volume"):
            continue
        if mount.get("Type", "bind") != "bind":
            raise InvalidParameter(f"mount type {mount.get('Type')!r} is not supported yet")
        source, target = mount.get("Source") or "", mount.get("Target") or ""
        if not source:
            raise InvalidParameter(
                'invalid mount config for type "bind": field Source must not be empty')
        _check_target("bind", target)
        propagation = (mount.get("BindOptions") or {}).get("Propagation") or ""
        mounts.append(_with_propagation(_bind(source, target, bool(mount.get("ReadOnly")),
                                              create=False), propagation))
    return mounts


def parse_bind(spec: str) -> dict[str, Any]:
    """``/host:/container[:ro|rw,propagation,z,...]`` as dockerd's linux parser reads it; the
    host directory is made when missing (``-v``'s behaviour, unlike ``--mount``)."""
    source, target, options = _split_bind(spec)
    if not source.startswith("/"):
        raise InvalidParameter(f"invalid volume specification: '{spec}'")
    read_only, propagation = False, ""
    for option in options:
        if option in ("ro", "rw"):
            read_only = option == "ro"
        elif option in _PROPAGATION:
            propagation = option
        elif option not in _CONSISTENCY and option not in _LABELS:
            raise InvalidParameter(f"invalid mode: {option}")
    return _with_propagation(_bind(source, target, read_only, create=True), propagation)


def volume_specs(host_config: dict[str, Any]) -> list[dict[str, Any]]:
    """The volumes ``Binds`` (``name:/path[:ro,nocopy]``) and ``Mounts`` (type=volume) name:
    Name ("" for an anonymous one), Destination, Mode, RW, NoCopy, Driver, DriverOpts, Labels."""
    specs = [_volume_bind(bind) for bind in host_config.get("Binds") or []
             if not bind.startswith("/")]
    for mount in host_config.get("Mounts") or []:
        if mount.get("Type") == "volume":
            specs.append(_volume_mount(mount))
    return specs


def _split_bind(spec: str) -> tuple[str, str, list[str]]:
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise InvalidParameter(f"invalid volume specification: '{spec}'")
    _check_target("bind" if parts[0].startswith("/") else "volume", parts[1], spec)
    return parts[0], parts[1], (parts[2].split(",") if len(parts) == 3 else [])


def _volume_bind(spec: str) -> dict[str, Any]:
    name, target, options = _split_bind(spec)
    read_only, nocopy = False, False
    for option in options:
        if option in ("ro", "rw"):
            read_only = option == "ro"
        elif option == "nocopy":
            nocopy = True
        elif option not in _LABELS and option not in _CONSISTENCY:
            raise InvalidParameter(f"invalid mode: {option}")
    return {"Name": name, "Destination": target, "Mode": ",".join(options) or "z",
            "RW": not read_only, "NoCopy": nocopy}


def _volume_mount(mount: dict[str, Any]) -> dict[str, Any]:
    """A ``--mount type=volume`` entry; its Mode is "z", as dockerd sets an empty one for a
    local volume (anonymous ones of ``Config.Volumes`` keep "")."""
    target = mount.get("Target") or ""
    _check_target("volume", target)
    if mount.get("BindOptions"):
        raise InvalidParameter('invalid mount config for type "volume": BindOptions must not '
                               "be specified")
    if mount.get("TmpfsOptions"):
        raise InvalidParameter('invalid mount config for type "volume": TmpfsOptions must not '
                               "be specified")
    options = mount.get("VolumeOptions") or {}
    driver = options.get("DriverConfig") or {}
    return {"Name": mount.get("Source") or "", "Destination": target, "Mode": "z",
            "RW": not mount.get("ReadOnly"), "NoCopy": bool(options.get("NoCopy")),
            "Driver": driver.get("Name") or "", "DriverOpts": driver.get("Options"),
            "Labels": options.get("Labels")}


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


def _bind(source: str, target: str, read_only: bool, *, create: bool) -> dict[str, Any]:
    if not os.path.lexists(source):
        if not create:
            raise InvalidParameter('invalid mount config for type "bind": bind source path '
                                   f"does not exist: {source}")
        os.makedirs(source, mode=0o755, exist_ok=True)
    options = ["rbind", "ro", "rro"] if read_only else ["rbind", "rw"]  # rro: moby 25+
    return {"destination": target, "type": "bind", "source": source, "options": options}


def _bind_point(oci_mount: dict[str, Any], mode: str) -> dict[str, Any]:
    propagation = next((o for o in oci_mount["options"] if o in _PROPAGATION), "rprivate")
    return {"Type": "bind", "Source": oci_mount["source"],
            "Destination": oci_mount["destination"], "Mode": mode,
            "RW": not {"ro", "rro"} & set(oci_mount["options"]), "Propagation": propagation}
