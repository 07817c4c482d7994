"""tmpfs mounts of a container: ``HostConfig.Tmpfs`` (``--tmpfs /path:opts``) and ``Mounts``
entries of ``Type: tmpfs`` (``--mount type=tmpfs,...``), as dockerd turns them into OCI mounts.

Both start from dockerd's defaults (``noexec,nosuid,nodev,rprivate``) and merge the user's
options over them as moby's ``MergeTmpfsOptions`` does: a later flag wins over an earlier one
of the same kind (``exec`` over ``noexec``), a later ``key=value`` over an earlier one of the
same key, ``defaults`` is dropped, and anything else is refused with dockerd's message.
"""

from __future__ import annotations

import json
from typing import Any

from wharf.core.errors import InvalidParameter

__all__ = [
    "merge_tmpfs_options",
    "mount_entry_tmpfs",
    "mount_tmpfs_data",
    "tmpfs_flag_mounts",
    "tmpfs_mount_point",
]

TMPFS_DEFAULTS = ("noexec", "nosuid", "nodev", "rprivate")
# flag option -> the flag it sets or clears (propagation modes share one slot)
_FLAG_KIND = {
    "ro": "rdonly", "rw": "rdonly", "suid": "nosuid", "nosuid": "nosuid", "dev": "nodev",
    "nodev": "nodev", "exec": "noexec", "noexec": "noexec", "sync": "sync", "async": "sync",
    "dirsync": "dirsync", "remount": "remount", "mand": "mand", "nomand": "mand",
    "atime": "noatime", "noatime": "noatime", "diratime": "nodiratime",
    "nodiratime": "nodiratime", "relatime": "relatime", "norelatime": "relatime",
    "strictatime": "strictatime", "nostrictatime": "strictatime",
    **{mode: "propagation" for mode in ("bind", "rbind", "unbindable", "runbindable", "private",
                                         "rprivate", "shared", "rshared", "slave", "rslave")},
}
_DATA_KEYS = ("size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol")


def merge_tmpfs_options(options: list[str]) -> list[str]:
    """moby's ``MergeTmpfsOptions``: duplicates removed, the last of each kind kept, in order."""
    seen: set[str] = set()
    merged: list[str] = []
    for option in reversed(options):
        if option == "defaults":
            continue
        kind = _FLAG_KIND.get(option)
        if kind is None:
            key, eq, _ = option.partition("=")
            if not eq or key not in _DATA_KEYS:
                raise InvalidParameter(f"Invalid tmpfs option {_go_quoted(option)}")
            kind = "data:" + key
        if kind not in seen:
            seen.add(kind)
            merged.insert(0, option)
    return merged


def _go_quoted(option: str) -> str:
    """How Go's ``%q`` prints the ``strings.SplitN(option, "=", 2)`` dockerd reports."""
    return "[" + " ".join(json.dumps(part) for part in option.split("=", 1)) + "]"


def tmpfs_flag_mounts(host_config: dict[str, Any]) -> list[dict[str, Any]]:
    """OCI mounts for ``HostConfig.Tmpfs`` (``--tmpfs``)."""
    return [_tmpfs(_checked_target(target), data or "")
            for target, data in (host_config.get("Tmpfs") or {}).items()]


def mount_entry_tmpfs(host_config: dict[str, Any]) -> list[dict[str, Any]]:
    """OCI mounts for the ``Mounts`` entries of type tmpfs (``--mount type=tmpfs``)."""
    return [_tmpfs(_checked_mount(mount), mount_tmpfs_data(mount))
            for mount in host_config.get("Mounts") or [] if mount.get("Type") == "tmpfs"]


def _tmpfs(target: str, data: str) -> dict[str, Any]:
    options = merge_tmpfs_options([*TMPFS_DEFAULTS, *(data.split(",") if data else [])])
    return {"destination": target, "type": "tmpfs", "source": "tmpfs", "options": options}


def _checked_target(target: str) -> str:
    """moby's ``ValidateTmpfsMountDestination``."""
    if not target.startswith("/"):
        raise InvalidParameter(f"invalid mount path: '{target}' mount path must be absolute")
    if target.rstrip("/") == "":
        raise InvalidParameter("invalid specification: destination can't be '/'")
    return target


def _checked_mount(mount: dict[str, Any]) -> str:
    """A ``Mounts`` entry of type tmpfs, checked as moby's linux mount parser does."""
    prefix = 'invalid mount config for type "tmpfs": '
    target = mount.get("Target") or ""
    if not target:
        raise InvalidParameter(prefix + "field Target must not be empty")
    for extra in ("Source", "BindOptions", "VolumeOptions"):
        if mount.get(extra):
            raise InvalidParameter(prefix + f"field {extra} must not be specified")
    if not target.startswith("/"):
        raise InvalidParameter(prefix + f"invalid mount path: '{target}' mount path must be "
                               "absolute")
    if target.rstrip("/") == "":
        raise InvalidParameter(prefix + "invalid specification: destination can't be '/'")
    return target


def mount_tmpfs_data(mount: dict[str, Any]) -> str:
    """moby's ``ConvertTmpfsOptions``: ReadOnly, TmpfsOptions.Mode (octal), SizeBytes (with
    the largest of g/m/k that divides it) and the extra Options, as mount data."""
    options = dict(mount.get("TmpfsOptions") or {})
    raw = ["ro"] if mount.get("ReadOnly") else []
    if options.get("Mode"):
        raw.append(f"mode={int(options['Mode']):o}")
    size = int(options.get("SizeBytes") or 0)
    if size < 0:
        raise InvalidParameter('invalid mount config for type "tmpfs": invalid tmpfs size '
                               f"{size}: it must not be negative")
    if size:
        raw.append("size=" + _size_with_suffix(size))
    for entry in options.get("Options") or []:
        if not 1 <= len(entry) <= 2:
            raise InvalidParameter('invalid mount config for type "tmpfs": invalid tmpfs '
                                   f"option {entry!r}")
        raw.append("=".join(entry))
    return ",".join(raw)


def _size_with_suffix(size: int) -> str:
    for suffix, divisor in (("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10)):
        if size % divisor == 0:
            return f"{size // divisor}{suffix}"
    return str(size)


def tmpfs_mount_point(mount: dict[str, Any]) -> dict[str, Any]:
    """inspect's ``Mounts`` entry for a ``--mount type=tmpfs`` (``--tmpfs`` ones are not
    listed there, as in Docker)."""
    return {"Type": "tmpfs", "Source": "", "Destination": mount.get("Target") or "",
            "Mode": "", "RW": not mount.get("ReadOnly"), "Propagation": ""}
