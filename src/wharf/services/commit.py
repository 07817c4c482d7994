"""``POST /commit``: a new image from a container's changes, as ``docker commit``.

The image is the container's image plus one layer (the container's rw layer, as the builder
commits a RUN step) and a config from ``commit_config``; its history entry names the
container's command. A running container is frozen (its cgroup) while its layer is read,
unless the request says ``pause=0``, so the layer is one consistent moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wharf.core.errors import Conflict, WharfError
from wharf.services.commit_config import commit_image_config, created_by
from wharf.services.container_record import ContainerRecord
from wharf.services.containers import ContainerService
from wharf.services.images import Image, ImageService
from wharf.services.rootfs import RootfsService

__all__ = ["CommitOptions", "CommitService"]


@dataclass(frozen=True)
class CommitOptions:
    repo: str = ""
    tag: str = ""
    comment: str = ""
    author: str = ""
    pause: bool = True
    changes: list[str] = field(default_factory=list)
    config: dict[str, Any] | None = None  # the request body (a container config)


class CommitService:
    def __init__(self, containers: ContainerService, images: ImageService,
                 rootfs: RootfsService, scratch_dir: Path) -> None:
        self._containers = containers
        self._images = images
        self._rootfs = rootfs
        self._scratch = scratch_dir

    async def commit(self, ref: str, options: CommitOptions) -> Image:
        record = self._containers.get(ref)
        _check_committable(record)
        config = commit_image_config(options.config, options.changes, record.config)
        if options.repo:
            self._images.parse_tag_target(options.repo, options.tag)  # a bad name: 400 first
        paused_here = options.pause and record.state.running and not record.state.paused
        if paused_here:
            self._containers.pause(record.id)
        try:
            image = await asyncio.to_thread(self._commit, record, config, options)
        finally:
            if paused_here:
                with contextlib.suppress(WharfError):
                    self._containers.unpause(record.id)
        reference = ""
        if options.repo:
            reference = self._images.parse_tag_target(options.repo, options.tag).familiar()
        self._containers.emit(record, "commit", comment=options.comment, imageID=image.id,
                              imageRef=reference)
        return image

    def _commit(self, record: ContainerRecord, config: dict[str, Any],
                options: CommitOptions) -> Image:
        base = self._images.resolve(record.image_id)
        with tempfile.TemporaryFile(dir=self._scratch) as layer:
            self._rootfs.diff(record.id, layer)
            layer.seek(0)
            return self._images.commit(
                base, layer, config, comment=options.comment, author=options.author,
                created_by=created_by(record.config), repo=options.repo, tag=options.tag)


def _check_committable(record: ContainerRecord) -> None:
    """dockerd's refusals, its words."""
    if record.state.status == "removing":
        raise Conflict(f"You cannot commit container {record.id} which is being removed")
    if record.state.dead or record.state.status == "dead":
        raise Conflict(f"You cannot commit container {record.id} which is Dead")
