"""COPY and ADD: sources from the context, another stage or an image (``--from``), URLs and
heredocs, copied with lane c's ``build.sources`` into a scratch file system of the parent image,
whose changes become the step's layer."""

from __future__ import annotations

import asyncio
import errno
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from wharf.build.dockerfile import Instruction
from wharf.build.plan import find_stage
from wharf.build.sources import (
    Owner,
    SourceMatch,
    copy_into,
    fetch_url,
    match_sources,
    sources_digest,
)
from wharf.build.state import StageState
from wharf.build.users import resolve_chown
from wharf.core.errors import InvalidParameter, NotFound
from wharf.lib.securepath import read_file_in_root
from wharf.services.build_session import BuildSession, NoLayers
from wharf.services.image_views import Image

if TYPE_CHECKING:
    from wharf.services.build_steps import StageBuilder

__all__ = ["copy_step"]

_URL_PREFIXES = ("http://", "https://")
_ACCOUNT_FILE_LIMIT = 16 << 20


_BUILDKIT_ONLY = ("link", "parents", "exclude", "checksum", "keep-git-dir")


async def copy_step(builder: StageBuilder, state: StageState, inst: Instruction) -> Image:
    inst = builder.substituted(state, inst)
    keyword = inst.keyword.upper()
    for flag in _BUILDKIT_ONLY:
        if flag in inst.flags:
            raise InvalidParameter(f"the --{flag} flag of {keyword} requires BuildKit; wharf's "
                                   "classic builder does not implement it")
    *words, dest = inst.args
    source_image_id, root = await _source_root(builder, inst)
    matches = await asyncio.to_thread(_matches, builder.session, root, inst, words)
    digest = await asyncio.to_thread(sources_digest, matches)
    created_by = " ".join([*state.shell(), f"#(nop) {keyword} {digest} in {dest} "])
    inputs = [inst.flag("chown") or "", inst.flag("chmod") or "", source_image_id]

    async def make() -> Image:
        return await asyncio.to_thread(_copy, builder, state, inst, matches, dest, created_by)
    return await builder.cached(state, created_by, inputs, layer=True, make=make)


async def _source_root(builder: StageBuilder, inst: Instruction) -> tuple[str, Path]:
    """(an id of the source for the cache key, the directory sources resolve in)."""
    session = builder.session
    ref = inst.flag("from")
    if not ref:
        return "", session.context_dir
    stage = find_stage(session.stages, ref, builder.plan.stage.index)
    if stage is not None:
        image = await session.results[stage.index]
    elif ref.isdigit():
        raise InvalidParameter(f"invalid from flag value {ref}: refers to current build stage "
                               "or a stage after it")
    else:
        image = await _image(builder, ref)
    view = await asyncio.to_thread(session.view, image)
    return (image.id if image else "scratch"), view


async def _image(builder: StageBuilder, ref: str) -> Image:
    images = builder.session.deps.images
    try:
        found: Image = images.resolve(ref)
        return found
    except NotFound:
        await builder.pull(ref)
    pulled: Image = images.resolve(ref)
    return pulled


def _matches(session: BuildSession, root: Path, inst: Instruction,
             words: list[str]) -> list[SourceMatch]:
    keyword = inst.keyword.upper()
    found: list[SourceMatch] = []
    local: list[str] = []
    for word in words:
        if word.startswith("<<"):
            found.append(_heredoc_source(session, inst, word))
        elif inst.keyword == "add" and word.startswith(_URL_PREFIXES):
            found.append(fetch_url(word, _scratch_dir(session)))
        else:
            local.append(word)
    if local:
        found += match_sources(root, local, keyword=keyword, wildcards=True)
    return found


def _scratch_dir(session: BuildSession) -> Path:
    path = session.work_dir / secrets.token_hex(8)
    path.mkdir(mode=0o700)
    return path


def _heredoc_source(session: BuildSession, inst: Instruction, word: str) -> SourceMatch:
    name = word.lstrip("<").lstrip("-").strip("'\"")
    for heredoc in inst.heredocs:
        if heredoc.name == name:
            directory = _scratch_dir(session)
            (directory / name).write_text(heredoc.content)
            return SourceMatch(root=directory, path=name, is_dir=False, pattern=word)
    raise InvalidParameter(f"{inst.keyword.upper()}: no heredoc named {name}")


def _owner(merged: Path, chown: str | None) -> Owner | None:
    if not chown:
        return None
    passwd, group = (_account_file(merged, f"/etc/{name}") for name in ("passwd", "group"))
    uid, gid = resolve_chown(chown, passwd, group)
    return Owner(uid, gid)


def _account_file(merged: Path, path: str) -> str | None:
    try:
        return read_file_in_root(merged, path, _ACCOUNT_FILE_LIMIT).decode("utf-8", "replace")
    except OSError as err:
        if err.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise


def _mode(chmod: str | None) -> int | None:
    if not chmod:
        return None
    try:
        mode = int(chmod, 8)
    except ValueError:
        raise InvalidParameter(f"invalid chmod parameter {chmod!r}") from None
    if mode > 0o7777:
        raise InvalidParameter(f"invalid chmod parameter {chmod!r}")
    return mode


def _copy(builder: StageBuilder, state: StageState, inst: Instruction,
          matches: list[SourceMatch], dest: str, created_by: str) -> Image:
    session = builder.session
    rootfs = session.deps.rootfs
    parent = builder.image
    scratch_id = secrets.token_hex(32)
    rootfs.create(scratch_id, parent if parent is not None else NoLayers())
    try:
        merged = rootfs.mount(scratch_id)
        chown = inst.flag("chown")
        copy_into(merged, matches, dest, state.workdir() or "/",
                  owner=_owner(merged, chown), mode=_mode(inst.flag("chmod")),
                  extract_archives=inst.keyword == "add", keyword=inst.keyword.upper(),
                  preserve_ownership=bool(inst.flag("from")) and not chown)
        with session.spool() as spool:
            rootfs.diff(scratch_id, spool)
            spool.seek(0)
            image: Image = session.deps.images.commit(
                parent, spool, dict(state.config), created_by=created_by, author=state.author)
            return image
    finally:
        rootfs.unmount(scratch_id)
        rootfs.remove(scratch_id)
