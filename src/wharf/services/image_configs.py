"""The OCI image configs wharf writes: for ``docker import`` and for ``docker commit``."""

from __future__ import annotations

import platform
from typing import Any

__all__ = ["commit_config", "derive_config", "host_platform", "import_config", "squash_config"]

_PLATFORM_KEYS = ("architecture", "os", "variant")
# uname's machine → Go's GOARCH (and GOARM variant), which Docker records for imports
_GO_ARCH = {
    "x86_64": ("amd64", ""),
    "amd64": ("amd64", ""),
    "aarch64": ("arm64", ""),
    "arm64": ("arm64", ""),
    "armv7l": ("arm", "v7"),
    "armv6l": ("arm", "v6"),
    "i386": ("386", ""),
    "i686": ("386", ""),
    "ppc64le": ("ppc64le", ""),
    "s390x": ("s390x", ""),
    "riscv64": ("riscv64", ""),
}


def host_platform(machine: str | None = None) -> dict[str, str]:
    """``{"architecture": ..., "os": "linux"[, "variant": ...]}`` of this host."""
    raw = (machine or platform.machine()).lower()
    arch, variant = _GO_ARCH.get(raw, (raw, ""))
    out = {"architecture": arch, "os": "linux"}
    if variant:
        out["variant"] = variant
    return out


def import_config(
    diff_id: str, container_config: dict[str, Any], comment: str, created: str
) -> dict[str, Any]:
    """One layer for this host's platform, a history entry carrying the import's comment."""
    return {
        **host_platform(),
        "created": created,
        "comment": comment,
        "config": container_config,
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": created, "comment": comment}],
    }


def commit_config(
    base: dict[str, Any] | None,
    diff_ids: list[str],
    container_config: dict[str, Any],
    created: str,
    *,
    comment: str = "",
    author: str = "",
    created_by: str = "",
) -> dict[str, Any]:
    """``base``'s platform and history plus one layer (``diff_ids`` lists all of them)."""
    old = base or host_platform()
    entry = {"created": created, "created_by": created_by, "comment": comment, "author": author}
    config: dict[str, Any] = {
        **{k: v for k, v in old.items() if k in _PLATFORM_KEYS},
        "created": created,
        "config": container_config,
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
        "history": [*(old.get("history") or []), {k: v for k, v in entry.items() if v}],
    }
    if author:
        config["author"] = author
    if comment:
        config["comment"] = comment
    return config


def derive_config(
    base: dict[str, Any] | None,
    container_config: dict[str, Any],
    created: str,
    *,
    created_by: str,
    author: str = "",
) -> dict[str, Any]:
    """A build's metadata step: ``base``'s layers and history plus an ``empty_layer`` entry,
    with a new container config (``base`` None: an image of no layers, from ``scratch``)."""
    old: dict[str, Any] = base or dict(host_platform())
    entry: dict[str, Any] = {"created": created, "created_by": created_by}
    if author:
        entry["author"] = author
    entry["empty_layer"] = True
    rootfs: dict[str, Any] = dict(old.get("rootfs") or {})
    config: dict[str, Any] = {
        **{k: v for k, v in old.items() if k in _PLATFORM_KEYS},
        "created": created,
        "config": container_config,
        "rootfs": {"type": "layers", "diff_ids": list(rootfs.get("diff_ids") or [])},
        "history": [*(old.get("history") or []), entry],
    }
    if author:
        config["author"] = author
    return config


def squash_config(
    base: dict[str, Any] | None, final: dict[str, Any], diff_id: str, created: str,
    final_id: str, base_id: str,
) -> dict[str, Any]:
    """``build --squash``: ``final``'s config over ``base``'s layers plus one (``diff_id``);
    the steps after ``base`` stay in the history as empty layers, and an entry says what was
    merged (moby's ``merge <image> to <parent>``)."""
    kept = len((base or {}).get("history") or [])
    history = [dict(entry) for entry in final.get("history") or []]
    for entry in history[kept:]:
        entry["empty_layer"] = True
    history.append({"created": created, "comment": f"merge {final_id} to {base_id}"})
    base_diffs = list(((base or {}).get("rootfs") or {}).get("diff_ids") or [])
    config = dict(final)
    config.update(created=created, history=history,
                  rootfs={"type": "layers", "diff_ids": [*base_diffs, diff_id]})
    return config
