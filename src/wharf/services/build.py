"""The classic builder (``POST /build``): a Dockerfile and a context in, an image out, one
step at a time, each step cached."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from wharf.services.build_types import BuildOptions
from wharf.services.progress import ProgressSink

__all__ = ["BuildDeps", "BuildService"]


@dataclass
class BuildDeps:
    """What the builder uses; built by ``daemon.wiring``."""

    build_root: Path   # <data-root>/build: contexts/, secrets/, cache-mounts/
    images: Any        # ImageService
    containers: Any    # ContainerService
    rootfs: Any        # RootfsService
    pull: Any          # PullService


class BuildService:
    def __init__(self, deps: BuildDeps) -> None:
        self._deps = deps

    async def build(self, context: BinaryIO, options: BuildOptions, emit: ProgressSink) -> str:
        """Run a build; ``context`` is the request body (a blocking reader, read from a worker
        thread). Sends the classic builder's ``stream``/``aux``/progress messages to ``emit``
        and returns the image id. Errors raise ``WharfError`` subclasses (the route turns them
        into an HTTP error before the first message, an ``errorDetail`` after)."""
        raise NotImplementedError

    def usage(self) -> list[dict[str, Any]]:
        """``system df``'s BuildCache entries."""
        return []

    def prune(self, everything: bool, filters: dict[str, list[str]]) -> dict[str, Any]:
        """``POST /build/prune``: ``{"CachesDeleted": [...], "SpaceReclaimed": n}``."""
        raise NotImplementedError
