"""``--mount type=bind|volume|tmpfs,...`` as the docker CLI reads it (``opts.MountOpt``): one
``HostConfig.Mounts`` entry per flag, the daemon judging what it supports."""

from __future__ import annotations

from typing import Any

from wharf.cli.command import CommandFailed
from wharf.cli.runconfig import flag_error, parse_bytes

__all__ = ["parse_mount_flag"]

_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")
_BARE = {"readonly": ("ReadOnly", None), "ro": ("ReadOnly", None),
         "volume-nocopy": ("NoCopy", "VolumeOptions"),
         "bind-nonrecursive": ("NonRecursive", "BindOptions")}


def parse_mount_flag(value: str) -> dict[str, Any]:
    """One ``--mount`` value; exit 125 with docker's message when it is malformed."""
    try:
        return _parse(value)
    except ValueError as err:
        raise flag_error(value, "--mount", str(err)) from None


def _parse(value: str) -> dict[str, Any]:
    mount: dict[str, Any] = {"Type": "volume"}
    for field in value.split(","):
        key, eq, val = field.partition("=")
        key = key.lower()
        if not eq:
            if key not in _BARE:
                raise ValueError(f"invalid field '{field}' must be a key=value pair")
            name, section = _BARE[key]
            (mount.setdefault(section, {}) if section else mount)[name] = True
            continue
        _set(mount, key, val, field)
    if not mount["Type"]:
        raise ValueError("type is required")
    if not mount.get("Target"):
        raise ValueError("target is required")
    for section, prefix, kind in (("VolumeOptions", "volume", "volume"),
                                  ("BindOptions", "bind", "bind"),
                                  ("TmpfsOptions", "tmpfs", "tmpfs")):
        if section in mount and mount["Type"] != kind:
            raise ValueError(f"cannot mix '{prefix}-*' options with mount type "
                             f"'{mount['Type']}'")
    return mount


def _set(mount: dict[str, Any], key: str, val: str, field: str) -> None:
    if key == "type":
        mount["Type"] = val.lower()
    elif key in ("source", "src"):
        mount["Source"] = val
    elif key in ("target", "dst", "destination"):
        mount["Target"] = val
    elif key in ("readonly", "ro"):
        mount["ReadOnly"] = _bool(key, val)
    elif key == "consistency":
        mount["Consistency"] = val.lower()
    elif key == "bind-propagation":
        mount.setdefault("BindOptions", {})["Propagation"] = val.lower()
    elif key == "bind-nonrecursive":
        mount.setdefault("BindOptions", {})["NonRecursive"] = _bool(key, val)
    elif key == "volume-nocopy":
        mount.setdefault("VolumeOptions", {})["NoCopy"] = _bool(key, val)
    elif key in ("volume-label", "volume-opt"):
        name, _, setting = val.partition("=")
        section = "Labels" if key == "volume-label" else "DriverConfig"
        options = mount.setdefault("VolumeOptions", {})
        target = options.setdefault(section, {})
        (target if section == "Labels" else target.setdefault("Options", {}))[name] = setting
    elif key == "volume-driver":
        mount.setdefault("VolumeOptions", {}).setdefault("DriverConfig", {})["Name"] = val
    elif key == "volume-subpath":
        mount.setdefault("VolumeOptions", {})["Subpath"] = val
    elif key == "tmpfs-size":
        mount.setdefault("TmpfsOptions", {})["SizeBytes"] = _size(key, val)
    elif key == "tmpfs-mode":
        mount.setdefault("TmpfsOptions", {})["Mode"] = _octal(key, val)
    else:
        raise ValueError(f"unexpected key '{key}' in '{field}'")


def _bool(key: str, val: str) -> bool:
    if val in _TRUE or val in _FALSE:
        return val in _TRUE
    raise ValueError(f"invalid value for {key}: {val}")


def _size(key: str, val: str) -> int:
    try:
        return parse_bytes(val, "--mount")
    except CommandFailed:
        raise ValueError(f"invalid value for {key}: {val}") from None


def _octal(key: str, val: str) -> int:
    if not val or any(c not in "01234567" for c in val) or int(val, 8) >= 1 << 32:
        raise ValueError(f"invalid value for {key}: {val}")
    return int(val, 8)
