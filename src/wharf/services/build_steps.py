"""One stage of a build, step by step: FROM (a stage, ``scratch``, a local or pulled image,
ONBUILD triggers), the metadata steps (config-only images) and WORKDIR; RUN and COPY/ADD are in
``build_run`` and ``build_copy``. Every step is looked up in the cache first."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import threading
from collections.abc import Awaitable, Callable

from wharf.build.cachekey import step_key
from wharf.build.dockerfile import Instruction, expand_word, parse, substitute
from wharf.build.metadata import METADATA_KEYWORDS, apply_metadata, nop_created_by
from wharf.build.plan import StagePlan, find_stage, step_text
from wharf.build.state import StageState
from wharf.core.errors import InvalidParameter, NotFound
from wharf.core.reference import parse_reference
from wharf.lib.securepath import makedirs_in_root, resolve_in_root
from wharf.services.build_copy import copy_step
from wharf.services.build_run import run_step
from wharf.services.build_session import BuildSession, NoLayers, short_id
from wharf.services.image_configs import host_platform
from wharf.services.image_pull import PullOptions
from wharf.services.image_views import Image
from wharf.services.progress import ProgressSink

__all__ = ["StageBuilder"]


class StageBuilder:
    def __init__(self, session: BuildSession, plan: StagePlan, write: ProgressSink) -> None:
        self.session = session
        self.plan = plan
        self.write = write
        self.image: Image | None = None

    def out(self, text: str) -> None:
        self.write({"stream": text})

    async def build(self) -> Image | None:
        stage = self.plan.stage
        self.out(f"Step {self.plan.first_step}/{self.session.total_steps} : "
                 f"{self._from_text()}\n")
        state = await self.from_step()
        for offset, inst in enumerate(stage.instructions, start=1):
            self.out(f"Step {self.plan.first_step + offset}/{self.session.total_steps} : "
                     f"{step_text(inst, self.session.escape)}\n")
            await self.step(state, inst)
        return self.image

    def _from_text(self) -> str:
        stage = self.plan.stage
        original = self.session.from_originals.get(stage.line)
        if original:
            return step_text(Instruction(line=stage.line, keyword="from", args=(),
                                         original=original), self.session.escape)
        parts = [f"--platform={stage.platform}"] if stage.platform else []
        parts.append(stage.base)
        if stage.name:
            parts += ["AS", stage.name]
        return "FROM " + " ".join(parts)

    # ---- FROM ------------------------------------------------------------------------------
    async def from_step(self) -> StageState:
        session = self.session
        name = expand_word(self.plan.stage.base, session.meta_env, session.escape)
        self._check_platform()
        self.image = await self.base_image(name)
        session.bases[self.plan.stage.index] = self.image
        state = StageState.from_image(
            self.image.id if self.image else "", self.image.config if self.image else {},
            session.options.build_args, session.meta_env)
        self.out(f" ---> {short_id(self.image.id) if self.image else ''}\n")
        triggers = list(state.config.get("OnBuild") or [])
        state.config["OnBuild"] = None
        if triggers:
            await self._run_triggers(state, triggers)
        return state

    def _check_platform(self) -> None:
        stage = self.plan.stage
        wanted = expand_word(stage.platform or "", self.session.meta_env, self.session.escape)
        wanted = wanted or self.session.options.platform
        if not wanted:
            return
        host = host_platform()
        parts = wanted.lower().split("/")
        host_parts = [host["os"], host["architecture"], host.get("variant", "")]
        if parts[0] != "linux" or parts[1:2] != host_parts[1:2] or \
                (len(parts) > 2 and parts[2] != host_parts[2]):
            shown = "/".join(p for p in host_parts if p)
            raise InvalidParameter(f"platform {wanted} is not this host's platform ({shown}): "
                                   "wharf builds for the host's platform only")

    async def base_image(self, name: str) -> Image | None:
        session = self.session
        if name.lower() == "scratch":
            return None
        stage = find_stage(session.stages, name, self.plan.stage.index)
        if stage is not None:
            return await session.results[stage.index]
        images = session.deps.images
        if not session.options.pull:
            try:
                found: Image = images.resolve(name)
                return found
            except NotFound:
                pass
        await self.pull(name)
        pulled: Image = images.resolve(name)
        return pulled

    async def pull(self, name: str) -> None:
        ref = parse_reference(name)
        if ref.digest is None:
            ref = ref.with_default_tag()
        options = PullOptions(platform=self.session.options.platform,
                              auth=self.session.options.auth_for(ref.domain))
        cancelled = threading.Event()  # a build cancelled mid-pull stops the transfer too
        try:
            await asyncio.to_thread(self.session.deps.pull.pull, ref, options, self.write,
                                    cancelled)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def _run_triggers(self, state: StageState, triggers: list[str]) -> None:
        noun = "trigger" if len(triggers) == 1 else "triggers"
        self.out(f"# Executing {len(triggers)} build {noun}\n")
        for trigger in triggers:
            parsed = parse(f"FROM scratch\n{trigger}\n")
            for inst in parsed.stages[0].instructions:
                await self.step(state, inst)

    # ---- dispatch --------------------------------------------------------------------------
    async def step(self, state: StageState, inst: Instruction) -> None:
        if inst.keyword == "run":
            self.image = await run_step(self, state, inst)
        elif inst.keyword in ("copy", "add"):
            self.image = await copy_step(self, state, inst)
        elif inst.keyword == "workdir":
            self.image = await self.workdir_step(state, inst)
        elif inst.keyword in METADATA_KEYWORDS:
            self.image = await self.metadata_step(state, inst)
        else:
            raise InvalidParameter(f"{inst.keyword.upper()} is not allowed here")
        state.image_id = self.image.id if self.image else ""

    def substituted(self, state: StageState, inst: Instruction) -> Instruction:
        return substitute(inst, state.substitution_env(), self.session.escape)

    async def metadata_step(self, state: StageState, inst: Instruction) -> Image:
        comment = apply_metadata(state, self.substituted(state, inst))
        created_by = nop_created_by(state, comment)
        inputs = [json.dumps(state.config, sort_keys=True), state.author]
        return await self.cached(state, created_by, inputs, layer=False,
                                 make=lambda: self._derive(state, created_by))

    async def _derive(self, state: StageState, created_by: str) -> Image:
        images = self.session.deps.images
        made: Image = await asyncio.to_thread(images.derive, self.image, dict(state.config),
                                              created_by=created_by, author=state.author)
        return made

    async def workdir_step(self, state: StageState, inst: Instruction) -> Image:
        comment = apply_metadata(state, self.substituted(state, inst))
        created_by = nop_created_by(state, comment)
        inputs = [json.dumps(state.config, sort_keys=True), state.author]

        async def make() -> Image:
            return await asyncio.to_thread(self._make_workdir, state, created_by)
        return await self.cached(state, created_by, inputs, layer=None, make=make)

    def _make_workdir(self, state: StageState, created_by: str) -> Image:
        """WORKDIR: a layer holding the directory when the image lacks it, else config only."""
        session = self.session
        rootfs = session.deps.rootfs
        view_id = secrets.token_hex(32)
        rootfs.create(view_id, self.image if self.image is not None else NoLayers())
        try:
            merged = rootfs.mount(view_id)
            workdir = state.workdir()
            if resolve_in_root(merged, workdir).is_dir():
                same: Image = session.deps.images.derive(
                    self.image, dict(state.config), created_by=created_by, author=state.author)
                return same
            os.close(makedirs_in_root(merged, workdir, 0o755))
            with session.spool() as spool:
                rootfs.diff(view_id, spool)
                spool.seek(0)
                made: Image = session.deps.images.commit(
                    self.image, spool, dict(state.config), created_by=created_by,
                    author=state.author)
                return made
        finally:
            rootfs.unmount(view_id)
            rootfs.remove(view_id)

    # ---- cache -----------------------------------------------------------------------------
    async def cached(self, state: StageState, created_by: str, inputs: list[str], *,
                     layer: bool | None, make: Callable[[], Awaitable[Image]]) -> Image:
        """The step's image from the cache (`` ---> Using cache``) or made now."""
        session = self.session
        key = step_key(state.image_id, created_by, inputs)
        found = None if session.options.no_cache else session.cache.lookup(key)
        if found is None and not session.options.no_cache:
            source = session.cache.from_images(session.cache_from, self.image, created_by,
                                               layer)
            if source is not None:
                restored: Image = await asyncio.to_thread(
                    session.deps.images.restore_step, self.image, source, dict(state.config))
                session.cache.store(key, restored.id, created_by)
                found = restored
        if found is not None:
            self.out(" ---> Using cache\n")
        else:
            found = await make()
            session.cache.store(key, found.id, created_by)
        self.out(f" ---> {short_id(found.id)}\n")
        return found

