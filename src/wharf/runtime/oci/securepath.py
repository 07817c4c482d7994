"""Resolve a container path inside the rootfs, following symlinks without leaving it."""

from __future__ import annotations

import os
from pathlib import Path

MAX_SYMLINKS = 255


def secure_join(root: Path, unsafe: str) -> Path:
    """``root`` + ``unsafe`` with every symlink resolved as if ``root`` were ``/``
    (``..`` and absolute link targets stay inside). Missing components are kept as is."""
    parts = [p for p in unsafe.split("/") if p not in ("", ".")]
    resolved: list[str] = []
    followed = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = root.joinpath(*resolved, part)
        try:
            target = os.readlink(candidate)
        except OSError:
            resolved.append(part)
            continue
        followed += 1
        if followed > MAX_SYMLINKS:
            raise OSError(f"too many symlinks resolving {unsafe} in {root}")
        if target.startswith("/"):
            resolved = []
        parts = [p for p in target.split("/") if p not in ("", ".")] + parts
    return root.joinpath(*resolved)
