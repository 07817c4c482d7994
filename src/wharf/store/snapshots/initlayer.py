"""The per-container init layer (Docker's ``<id>-init``): mount targets a container expects.

It sits between the image's layers and the container's writable layer, so the files the runtime
bind-mounts over (``/etc/hosts``, ``/etc/hostname``, ``/etc/resolv.conf``) and the mount points
of ``/proc``, ``/sys``, ``/dev/pts``, ``/dev/shm`` exist without showing up in ``docker diff``
or being committed, and ``/.dockerenv`` tells programs they run in a container.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["INIT_PATHS", "populate_init_layer"]

_DIRS = ("dev/pts", "dev/shm", "proc", "sys")
_FILES = (".dockerenv", "etc/resolv.conf", "etc/hosts", "etc/hostname", "dev/console")
_SYMLINKS = {"etc/mtab": "/proc/mounts"}

INIT_PATHS = frozenset({"/dev", "/etc", *(f"/{p}" for p in (*_DIRS, *_FILES, *_SYMLINKS))})


def populate_init_layer(root: Path) -> None:
    """Create the init entries in the empty directory ``root`` (owned by root, 0755/0644)."""
    for rel in _DIRS:
        (root / rel).mkdir(parents=True, exist_ok=True, mode=0o755)
    for rel in _FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        fd = os.open(
            root / rel,
            os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o755 if rel == ".dockerenv" else 0o644,
        )
        os.close(fd)
    for rel, target in _SYMLINKS.items():
        if not os.path.lexists(root / rel):
            os.symlink(target, root / rel)
