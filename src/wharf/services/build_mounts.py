"""What a RUN step mounts besides its root file system: ``RUN --mount=type=cache|bind|tmpfs|
secret``, and ``wharf build -v`` volumes on every RUN."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wharf.services.build_types import BuildOptions

__all__ = ["CacheMounts", "RunMounts", "prepare_run_mounts"]


@dataclass
class RunMounts:
    """Mounts for one RUN container, in the create body's shapes."""

    mounts: list[dict[str, Any]] = field(default_factory=list)   # HostConfig.Mounts entries
    tmpfs: dict[str, str] = field(default_factory=dict)           # HostConfig.Tmpfs
    stubs: list[str] = field(default_factory=list)   # mount points the run will create

    def remove_stubs(self, rootfs: Path) -> None:
        """After the run, before its layer is taken: delete the (empty) mount points that did
        not exist before it, so no secret/cache/bind target leaks into the layer."""
        raise NotImplementedError

    def release(self) -> None:
        """Unlock cache mounts (``sharing=locked``) and drop per-run files."""
        raise NotImplementedError


class CacheMounts:
    """Persistent ``type=cache`` directories under ``<root>/build/cache-mounts``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def usage(self) -> list[dict[str, Any]]:
        """``system df``'s BuildCache entries for the cache mounts (BuildKit's shape)."""
        raise NotImplementedError

    def prune(self, everything: bool) -> tuple[list[str], int]:
        """Remove unused cache mounts; ids removed and bytes reclaimed."""
        raise NotImplementedError


def prepare_run_mounts(
    mount_specs: list[dict[str, str]],
    options: BuildOptions,
    *,
    rootfs: Path,
    workdir: str,
    context: Path,
    stage_root: Callable[[str], Path],
    secrets: dict[str, Path],
    cache: CacheMounts,
) -> RunMounts:
    """Turn a RUN's ``--mount`` flags (each already split into key/value pairs) and the
    build's ``-v`` volumes into mounts. ``rootfs`` is the run's mounted root (to see which
    targets exist), ``stage_root(name)`` mounts a stage's or image's file system read-only for
    ``from=``, ``secrets`` maps a secret id to its file. Unknown mount types or options raise
    ``InvalidParameter`` naming them."""
    raise NotImplementedError
