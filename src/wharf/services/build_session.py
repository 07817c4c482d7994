"""What every step of one build shares: the options, the unpacked context, the cache, the
images the stages made, scratch file systems to clean up, and the output in stage order."""

from __future__ import annotations

import asyncio
import contextlib
import secrets as token
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from wharf.build.dockerfile import Stage
from wharf.build.plan import BuildPlan
from wharf.services.build_cache import BuildCache
from wharf.services.build_types import BuildOptions
from wharf.services.image_views import Image
from wharf.services.progress import Message, ProgressSink

__all__ = ["BuildSession", "NoLayers", "StageOutputs"]


@dataclass(frozen=True)
class NoLayers:
    """A file system of no layers (``FROM scratch``), for ``RootfsService.create``."""

    chain_ids: list[str] = field(default_factory=list)


class StageOutputs:
    """Stages may build at once; their messages still come out in Dockerfile order: the first
    unfinished stage writes through, the others are held until it is done."""

    def __init__(self, emit: ProgressSink, order: list[int]) -> None:
        self._emit = emit
        self._order = order
        self._held: dict[int, list[Message]] = {index: [] for index in order}
        self._done: set[int] = set()
        self._head = 0
        self._lock = threading.Lock()

    def writer(self, index: int) -> ProgressSink:
        def write(message: Message) -> None:
            with self._lock:
                if self._order[self._head] == index:
                    self._emit(message)
                else:
                    self._held[index].append(message)
        return write

    def done(self, index: int) -> None:
        with self._lock:
            self._done.add(index)
            while self._head < len(self._order) and self._order[self._head] in self._done:
                self._head += 1
                if self._head < len(self._order):
                    for message in self._held.pop(self._order[self._head], []):
                        self._emit(message)

    def flush_all(self) -> None:
        """After a failure: what the stages said so far, so the error follows their output."""
        with self._lock:
            for index in self._order[self._head + 1:]:
                for message in self._held.pop(index, []):
                    self._emit(message)


@dataclass
class BuildSession:
    deps: Any                          # services.build.BuildDeps
    options: BuildOptions
    build_id: str
    context_dir: Path
    work_dir: Path                     # scratch files of this build (spools, downloads)
    secrets: dict[str, Path]
    escape: str
    cache: BuildCache
    plan: BuildPlan
    meta_env: Mapping[str, str]
    cache_from: list[Image] = field(default_factory=list)
    from_originals: dict[int, str] = field(default_factory=dict)   # FROM lines as written
    bases: dict[int, Image | None] = field(default_factory=dict)   # each stage's FROM image
    results: dict[int, asyncio.Future[Image | None]] = field(default_factory=dict)
    views: list[str] = field(default_factory=list)
    views_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def stages(self) -> tuple[Stage, ...]:
        return self.plan.all_stages

    @property
    def total_steps(self) -> int:
        return self.plan.total_steps

    def spool(self) -> IO[bytes]:
        return tempfile.TemporaryFile(dir=self.work_dir)

    def view(self, image: Image | None) -> Path:
        """A private writable file system of ``image`` (blocking), removed when the build
        ends; for COPY sources of another stage/image and RUN mounts ``from=``."""
        view_id = token.token_hex(32)
        rootfs = self.deps.rootfs
        rootfs.create(view_id, image if image is not None else NoLayers())
        with self.views_lock:
            self.views.append(view_id)
        mounted: Path = rootfs.mount(view_id)
        return mounted

    @contextlib.contextmanager
    def passing_view(self, image: Image | None) -> Iterator[Path]:
        """A view of ``image`` removed again on leaving (blocking)."""
        view_id = token.token_hex(32)
        rootfs = self.deps.rootfs
        rootfs.create(view_id, image if image is not None else NoLayers())
        try:
            yield rootfs.mount(view_id)
        finally:
            with contextlib.suppress(Exception):
                rootfs.unmount(view_id)
            rootfs.remove(view_id)

    def drop_views(self) -> None:
        with self.views_lock:
            views, self.views = self.views, []
        for view_id in views:
            with contextlib.suppress(Exception):
                self.deps.rootfs.unmount(view_id)
            with contextlib.suppress(Exception):
                self.deps.rootfs.remove(view_id)

    def stage_image(self, ref: str) -> Image | None:
        """The image a finished stage made (``ref``: its name or number)."""
        for stage in self.stages:
            if stage.name == ref.lower() or ref == str(stage.index):
                future = self.results.get(stage.index)
                if future is not None and future.done():
                    return future.result()
        raise KeyError(ref)


def short_id(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]

