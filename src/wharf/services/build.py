"""The classic builder (``POST /build``): a Dockerfile and a context in, an image out, one
step at a time, each step cached.

A build unpacks its context under ``<root>/build/contexts/<build-id>`` (secrets and an ``-f``
Dockerfile the CLI added are moved out of it first), parses the Dockerfile, plans the stages
the target needs, builds them (independent ones at once, their output in Dockerfile order),
tags the result and removes its files; see ``build_steps``, ``build_run``, ``build_copy``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from wharf.build.context import extract_context, read_dockerfile, take_out
from wharf.build.dockerfile import Dockerfile, meta_env, parse
from wharf.build.dockerfile.lines import logical_lines
from wharf.build.plan import declared_args, plan_build, step_text
from wharf.build.state import PROXY_ARGS
from wharf.core.errors import WharfError
from wharf.core.metadata import BuildCacheRecords
from wharf.services.build_cache import BuildCache
from wharf.services.build_mounts import CacheMounts
from wharf.services.build_prune import cache_selection
from wharf.services.build_run import BUILD_LABEL, BuildStepFailed
from wharf.services.build_session import BuildSession, StageOutputs, short_id
from wharf.services.build_squash import squash
from wharf.services.build_steps import StageBuilder
from wharf.services.build_types import BuildOptions
from wharf.services.image_views import Image
from wharf.services.progress import ProgressSink

__all__ = ["BuildDeps", "BuildService", "BuildStepFailed"]

log = logging.getLogger(__name__)
STAGE_CONCURRENCY = 4


@dataclass
class BuildDeps:
    """What the builder uses; built by ``daemon.wiring``."""

    build_root: Path   # <data-root>/build: contexts/, secrets/, cache-mounts/
    images: Any        # ImageService
    containers: Any    # ContainerService
    rootfs: Any        # RootfsService
    pull: Any          # PullService
    cache_records: BuildCacheRecords | None = None   # the build_cache table
    cache_mounts: CacheMounts | None = None


class BuildService:
    def __init__(self, deps: BuildDeps) -> None:
        self._deps = deps
        if deps.cache_mounts is None:
            deps.cache_mounts = CacheMounts(deps.build_root / "cache-mounts")
        self._cache = BuildCache(deps.cache_records, deps.images.resolve)
        self._cleanups: set[asyncio.Future[None]] = set()

    async def build(self, context: BinaryIO, options: BuildOptions, emit: ProgressSink) -> str:
        """Run a build; ``context`` is the request body (a blocking reader, read from a worker
        thread). Sends the classic builder's ``stream``/``aux``/progress messages to ``emit``
        and returns the image id. Errors raise ``WharfError`` subclasses (the route turns them
        into an HTTP error before the first message, an ``errorDetail`` after)."""
        build_id = secrets.token_hex(16)
        context_dir = self._deps.build_root / "contexts" / build_id
        secrets_dir = self._deps.build_root / "secrets" / build_id
        try:
            for directory in (context_dir, secrets_dir):
                directory.mkdir(parents=True, mode=0o700)
            await asyncio.to_thread(extract_context, context, context_dir)
            session = await asyncio.to_thread(
                self._session, options, build_id, context_dir, secrets_dir)
            try:
                image = await self._run(session, emit)
                if options.squash:
                    image = await asyncio.to_thread(
                        squash, session, session.bases.get(session.plan.target), image)
            finally:
                await asyncio.to_thread(session.drop_views)
            await asyncio.to_thread(self._tag, image, options)
        finally:
            self._retire(context_dir)
            await asyncio.to_thread(_remove_dirs, secrets_dir)
        self._finish(image, options, emit)
        return image.id

    def _retire(self, context_dir: Path) -> None:
        """Move the context aside at once and delete it in the background: a large context
        takes a while to delete, and the build's answer need not wait for it."""
        trash = self._deps.build_root / "trash"
        trash.mkdir(mode=0o700, exist_ok=True)
        retired = trash / context_dir.name
        try:
            context_dir.rename(retired)
        except FileNotFoundError:
            return
        task = asyncio.ensure_future(asyncio.to_thread(_remove_dirs, retired))
        self._cleanups.add(task)
        task.add_done_callback(self._cleanups.discard)

    async def settle(self) -> None:
        """Wait for the background deletions of finished builds' contexts."""
        while self._cleanups:
            await asyncio.gather(*list(self._cleanups), return_exceptions=True)

    def _session(self, options: BuildOptions, build_id: str, context_dir: Path,
                 secrets_dir: Path) -> BuildSession:
        secret_files: dict[str, Path] = {}
        for secret in options.secrets:
            target = secrets_dir / f"secret-{len(secret_files)}"
            take_out(context_dir, secret.context_path, target)
            secret_files[secret.id] = target
        dockerfile, from_originals = self._dockerfile(context_dir, options.dockerfile)
        args = {k: v for k, v in options.build_args.items() if v is not None}
        meta = meta_env(dockerfile, args)
        plan = plan_build(dockerfile, options.target, meta, options.labels)
        work_dir = secrets_dir / "work"
        work_dir.mkdir(mode=0o700)
        session = BuildSession(
            deps=self._deps, options=options, build_id=build_id, context_dir=context_dir,
            work_dir=work_dir, secrets=secret_files, escape=dockerfile.escape,
            cache=self._cache, plan=plan, meta_env=meta, cache_from=self._cache_from(options),
            from_originals=from_originals)
        return session

    @staticmethod
    def _dockerfile(context_dir: Path, name: str) -> tuple[Dockerfile, dict[int, str]]:
        """Read (and, as Docker, take out of the context when ``.dockerignore`` says so, or
        when the CLI added it as ``.dockerfile.<random>``) and parse the Dockerfile."""
        text = read_dockerfile(context_dir, name or "Dockerfile").decode("utf-8", "replace")
        return parse(text), from_lines(text)

    def _cache_from(self, options: BuildOptions) -> list[Image]:
        """The ``--cache-from`` images found here (moby's classic cache-from ignores the ones
        it cannot find)."""
        found: list[Image] = []
        for ref in options.cache_from:
            with contextlib.suppress(WharfError):  # not found, or a bad name: ignored
                found.append(self._deps.images.resolve(ref))
        return found

    async def _run(self, session: BuildSession, emit: ProgressSink) -> Image:
        plan = session.plan
        for number, inst in enumerate(plan.meta_args, start=1):
            emit({"stream": f"Step {number}/{plan.total_steps} : "
                            f"{step_text(inst, session.escape)}\n"})
        loop = asyncio.get_running_loop()
        session.results = {p.stage.index: loop.create_future() for p in plan.stages}
        outputs = StageOutputs(emit, [p.stage.index for p in plan.stages])
        slots = asyncio.Semaphore(STAGE_CONCURRENCY)

        async def build_stage(index: int) -> None:
            stage_plan = next(p for p in plan.stages if p.stage.index == index)
            for need in stage_plan.needs:
                await session.results[need]
            async with slots:
                builder = StageBuilder(session, stage_plan, outputs.writer(index))
                image = await builder.build()
            session.results[index].set_result(image)
            outputs.done(index)

        tasks = [asyncio.create_task(build_stage(p.stage.index)) for p in plan.stages]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for future in session.results.values():
                if not future.done():
                    future.cancel()
            outputs.flush_all()
            raise
        result = session.results[plan.target].result()
        if result is None:
            raise WharfError("No image was generated. Is your Dockerfile empty?")
        unused = sorted(set(session.options.build_args) - declared_args(plan) - PROXY_ARGS)
        if unused:
            emit({"stream": f"[Warning] One or more build-args [{' '.join(unused)}] were not "
                            "consumed\n"})
        return result

    def _tag(self, image: Image, options: BuildOptions) -> None:
        for tag in options.tags:
            self._deps.images.tag(image.id, tag)

    @staticmethod
    def _finish(image: Image, options: BuildOptions, emit: ProgressSink) -> None:
        emit({"aux": {"ID": image.id}})
        emit({"stream": f"Successfully built {short_id(image.id)}\n"})
        for tag in options.tags:
            emit({"stream": f"Successfully tagged {_familiar_tag(tag)}\n"})

    # ---- cache ---------------------------------------------------------------------------
    def usage(self) -> list[dict[str, Any]]:
        """``system df``'s BuildCache entries."""
        mounts = self._deps.cache_mounts
        entries = self._cache.usage()
        if mounts is not None:
            with contextlib.suppress(NotImplementedError):
                entries += mounts.usage()
        return entries

    def prune(self, everything: bool, filters: dict[str, list[str]]) -> dict[str, Any]:
        """``POST /build/prune``: ``{"CachesDeleted": [...], "SpaceReclaimed": n}``, with the
        filters of :mod:`wharf.services.build_prune` (the others refused by name)."""
        selection = cache_selection(filters)
        if selection.nothing:
            return {"CachesDeleted": None, "SpaceReclaimed": 0}
        deleted, reclaimed = self._cache.prune(selection.used_before)
        mounts = self._deps.cache_mounts
        if mounts is not None:
            with contextlib.suppress(NotImplementedError):
                more, size = mounts.prune(everything, selection.used_before)
                deleted += more
                reclaimed += size
        return {"CachesDeleted": deleted or None, "SpaceReclaimed": reclaimed}

    async def sweep(self) -> None:
        """At daemon start: the contexts and secrets of builds a crash interrupted, and their
        RUN containers (label ``wharf.build``)."""
        for name in ("contexts", "secrets", "trash"):
            directory = self._deps.build_root / name
            if directory.is_dir():
                for entry in list(directory.iterdir()):
                    await asyncio.to_thread(_remove_dirs, entry)
        for record in list(self._deps.containers.all()):
            if BUILD_LABEL in (record.config.get("Labels") or {}):
                with contextlib.suppress(WharfError):
                    await self._deps.containers.remove(record.id, force=True, volumes=True)


def from_lines(text: str) -> dict[int, str]:
    """The FROM lines as written, by line number (``Step N/M : FROM ...`` shows them)."""
    return {line.line: line.original for line in logical_lines(text)[1]
            if line.text.split(None, 1)[:1] and line.text.split(None, 1)[0].lower() == "from"}


def _familiar_tag(tag: str) -> str:
    name, _, last = tag.rpartition(":")
    return tag if name and "/" not in last else f"{tag}:latest"


def _remove_dirs(*paths: Path) -> None:
    for path in paths:
        try:
            shutil.rmtree(path)
        except FileNotFoundError:
            pass
        except OSError as err:
            log.warning("removing %s: %s", path, err)
