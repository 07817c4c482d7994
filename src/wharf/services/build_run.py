"""RUN: the command in a real container of the container service (labelled ``wharf.build``),
attached for its output, its rw layer committed as the step's image."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from wharf.build.cachekey import instruction_text
from wharf.build.dockerfile import Instruction
from wharf.build.dockerfile.words import flag_options
from wharf.build.layerfilter import drop_under
from wharf.build.state import StageState
from wharf.core.errors import InvalidParameter, WharfError
from wharf.services.build_mounts import RunMounts, prepare_run_mounts
from wharf.services.build_session import BuildSession, short_id
from wharf.services.engine_types import ContainerCreateBody
from wharf.services.image_views import Image

if TYPE_CHECKING:
    from wharf.services.build_steps import StageBuilder

__all__ = ["BuildStepFailed", "run_command", "run_step"]

BUILD_LABEL = "wharf.build"
_FRAME_STDOUT, _FRAME_STDERR, _FRAME_EXIT, _FRAME_ERROR = 1, 2, 3, 4


class BuildStepFailed(WharfError):
    """A RUN returned non-zero; ``code`` is its exit code (the stream's ``errorDetail.code``)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def run_command(state: StageState, inst: Instruction) -> list[str]:
    """The argv of a RUN: exec form as is, shell form through the stage's SHELL (a heredoc's
    body goes to the shell with its command line, which runs it)."""
    if inst.json:
        return list(inst.args)
    script = inst.args[0] if inst.args else ""
    if inst.heredocs:
        script = _heredoc_script(script, inst)
    return [*state.shell(), script]


def _heredoc_script(command: str, inst: Instruction) -> str:
    only = command.strip().lstrip("<").lstrip("-").strip("'\"")
    if len(inst.heredocs) == 1 and only == inst.heredocs[0].name:
        return inst.heredocs[0].content      # RUN <<EOF ... EOF: the body is the script
    bodies = "".join(f"{h.content}{'' if h.content.endswith(chr(10)) else chr(10)}{h.name}\n"
                     for h in inst.heredocs)
    return f"{command}\n{bodies}"


_RUN_NETWORKS = frozenset({"default", "none", "host"})


def _run_network(session: BuildSession, inst: Instruction) -> str:
    """``RUN --network=default|none|host`` (BuildKit's), else the build's ``--network``."""
    if "security" in inst.flags:
        raise InvalidParameter("the --security flag of RUN requires BuildKit; wharf's "
                               "classic builder does not implement it")
    wanted = inst.flag("network")
    if wanted is None:
        return session.options.network_mode
    if wanted not in _RUN_NETWORKS:
        raise InvalidParameter(f"unsupported network mode: {wanted}")
    return "" if wanted == "default" else wanted


async def run_step(builder: StageBuilder, state: StageState, inst: Instruction) -> Image:
    network = _run_network(builder.session, inst)
    command = run_command(state, inst)
    saved = [f"|{len(state.history_args())}", *state.history_args(), *command] \
        if state.history_args() else command
    created_by = " ".join(saved)
    options = builder.session.options
    inputs = [instruction_text(inst), *sorted(options.volumes), network]

    async def make() -> Image:
        return await _run(builder, state, inst, command, created_by, network)
    return await builder.cached(state, created_by, inputs, layer=True, make=make)


def _mount_specs(inst: Instruction) -> list[dict[str, str]]:
    return [flag_options(value) for value in inst.flags.get("mount", ())]


def _body(session: BuildSession, state: StageState, command: list[str],
          mounts: RunMounts | None, network: str) -> ContainerCreateBody:
    options = session.options
    host: dict[str, Any] = {}
    if network:
        host["NetworkMode"] = network
    if options.extra_hosts:
        host["ExtraHosts"] = list(options.extra_hosts)
    for key, value in (("Memory", options.memory), ("MemorySwap", options.memory_swap),
                       ("CpuShares", options.cpu_shares), ("CpuQuota", options.cpu_quota),
                       ("CpuPeriod", options.cpu_period), ("ShmSize", options.shm_size)):
        if value:
            host[key] = value
    if mounts is not None and mounts.mounts:
        host["Mounts"] = mounts.mounts
    if mounts is not None and mounts.tmpfs:
        host["Tmpfs"] = mounts.tmpfs
    body = {
        "Image": state.image_id, "Cmd": command, "Entrypoint": [], "Env": state.run_env(),
        "User": state.user(), "WorkingDir": state.workdir(),
        "Labels": {BUILD_LABEL: session.build_id}, "AttachStdout": True,
        "AttachStderr": True, "HostConfig": host,
    }
    return msgspec.convert(body, ContainerCreateBody)


def _prepare_mounts(session: BuildSession, state: StageState,
                    inst: Instruction) -> RunMounts | None:
    specs = _mount_specs(inst)
    if not specs and not session.options.volumes:
        return None
    image = session.deps.images.resolve(state.image_id)
    with session.passing_view(image) as view:  # which mount points exist before the run
        return prepare_run_mounts(
            specs, session.options, rootfs=view, workdir=state.workdir(),
            context=session.context_dir, stage_root=lambda ref: _stage_root(session, ref),
            secrets=session.secrets, cache=session.deps.cache_mounts)


def _stage_root(session: BuildSession, ref: str) -> Any:
    try:
        image = session.stage_image(ref)
    except KeyError:
        image = session.deps.images.resolve(ref)
    return session.view(image)


async def _run(builder: StageBuilder, state: StageState, inst: Instruction,
               command: list[str], created_by: str, network: str) -> Image:
    session = builder.session
    if not state.image_id:
        raise InvalidParameter(f"The command '{' '.join(command)}' cannot run: the stage has "
                               "no file system yet (FROM scratch)")
    mounts = await asyncio.to_thread(_prepare_mounts, session, state, inst)
    try:
        return await _run_container(builder, state, command, created_by, mounts, network)
    finally:
        if mounts is not None:
            mounts.release()


async def _run_container(builder: StageBuilder, state: StageState, command: list[str],
                         created_by: str, mounts: RunMounts | None, network: str) -> Image:
    session = builder.session
    containers = session.deps.containers
    record, _ = containers.create("", _body(session, state, command, mounts, network))
    builder.out(f" ---> Running in {short_id(record.id)}\n")
    succeeded = False
    try:
        code = await _attach_and_wait(containers, record.id, builder.out)
        if code != 0:
            raise BuildStepFailed(f"The command '{' '.join(command)}' returned a non-zero "
                                  f"code: {code}", code)
        image = await asyncio.to_thread(_commit, session, record.id, state, created_by, mounts)
        succeeded = True
        return image
    finally:
        options = session.options
        if succeeded and (options.remove or options.force_remove):
            builder.out(f"Removing intermediate container {short_id(record.id)}\n")
        if (options.remove or options.force_remove) if succeeded else \
                (options.force_remove or _cancelled()):
            with contextlib.suppress(WharfError):
                await containers.remove(record.id, force=True, volumes=True)


def _cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def _attach_and_wait(containers: Any, container_id: str,
                           out: Callable[[str], None]) -> int:
    attaching = asyncio.ensure_future(containers.attach(container_id, False, True, True))
    await asyncio.sleep(0)          # the attach waits for the start: registered first
    try:
        await containers.start(container_id)
        stream = await attaching
    except BaseException:
        attaching.cancel()
        raise
    try:
        while (frame := await stream.read_frame()) is not None:
            kind, payload = frame
            if kind in (_FRAME_STDOUT, _FRAME_STDERR):
                out(payload.decode("utf-8", "replace"))
            elif kind == _FRAME_ERROR:
                out(_error_text(payload) + "\n")
            elif kind == _FRAME_EXIT:
                break
    finally:
        stream.close()
    code: int = await containers.wait(container_id, "not-running")
    return code


def _error_text(payload: bytes) -> str:
    text = payload.decode("utf-8", "replace")
    with contextlib.suppress(ValueError, AttributeError):
        return str(json.loads(text).get("message") or text)
    return text


def _commit(session: BuildSession, container_id: str, state: StageState, created_by: str,
            mounts: RunMounts | None) -> Image:
    rootfs = session.deps.rootfs
    if mounts is not None:
        merged = rootfs.mount(container_id)
        try:
            mounts.remove_stubs(merged)
        finally:
            rootfs.unmount(container_id)
    parent = session.deps.images.resolve(state.image_id)
    volumes = list(state.config.get("Volumes") or {})
    with session.spool() as spool, session.spool() as kept:
        rootfs.diff(container_id, spool)
        spool.seek(0)
        if volumes:  # what the command wrote on its volumes is not the image's
            drop_under(spool, kept, volumes)
            kept.seek(0)
        image: Image = session.deps.images.commit(
            parent, kept if volumes else spool, dict(state.config), created_by=created_by,
            author=state.author)
    return image
