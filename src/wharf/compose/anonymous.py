"""Anonymous volumes survive a recreate, as with docker compose (without
``--renew-anon-volumes``): the new container mounts the old one's anonymous volumes, both those
of the file (``volumes: [/data]``) and those of the image's ``VOLUME``."""

from __future__ import annotations

from typing import Any


def _targets(host: dict[str, Any]) -> set[str]:
    binds = {str(b).split(":")[1] for b in host.get("Binds") or [] if ":" in str(b)}
    return binds | {str(m["Target"]) for m in host.get("Mounts") or []}


def carry_anonymous(host: dict[str, Any], old_mounts: list[dict[str, Any]],
                    named: set[str]) -> None:
    """Point ``host`` (a create body's HostConfig) at the anonymous volumes of ``old_mounts``
    (an inspected container's ``Mounts``); ``named`` are the project's named volumes."""
    anonymous = {str(m["Destination"]): str(m["Name"]) for m in old_mounts
                 if m.get("Type") == "volume" and m.get("Name") and m["Name"] not in named}
    if not anonymous:
        return
    mounts = host.setdefault("Mounts", [])
    taken = _targets(host)
    for mount in mounts:
        if mount.get("Type") == "volume" and not mount.get("Source"):
            name = anonymous.get(str(mount["Target"]))
            if name:
                mount["Source"] = name
    for target, name in sorted(anonymous.items()):
        if target not in taken:
            mounts.append({"Type": "volume", "Source": name, "Target": target})
