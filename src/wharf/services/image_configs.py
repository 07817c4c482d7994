"""The OCI image configs wharf writes: for ``docker import`` and for ``docker commit``."""

from __future__ import annotations

from typing import Any

__all__ = ["commit_config", "import_config"]

_PLATFORM_KEYS = ("architecture", "os", "variant")


def import_config(
    diff_id: str, container_config: dict[str, Any], comment: str, created: str
) -> dict[str, Any]:
    """One layer, linux/amd64, a history entry carrying the import's comment."""
    return {
        "architecture": "amd64",
        "os": "linux",
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
    old = base or {"architecture": "amd64", "os": "linux"}
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
