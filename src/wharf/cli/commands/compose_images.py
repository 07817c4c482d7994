"""Images of compose services: built from ``build:`` (the classic builder through the
client's build API and ``cli.build_context``), pulled, pushed, and looked up by ID."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from wharf.cli.command import CommandFailed, Context

if TYPE_CHECKING:
    from wharf.cli.commands.compose_progress import Progress
    from wharf.compose.createbody import Meta
    from wharf.compose.model import Project
    from wharf.compose.model_service import Service


def image_id(ctx: Context, ref: str) -> str | None:
    from wharf.core.errors import NotFound

    try:
        return str(ctx.client().images.inspect(ref)["Id"])
    except NotFound:
        return None


def build_service(ctx: Context, project: Project, service: Service, meta: Meta,
                  progress: Progress, no_cache: bool = False, pull: bool = False) -> str:
    """Build ``service``'s image, tagged with its image name; the image ID."""
    from wharf.cli.build_context import make_context
    from wharf.cli.progress import display_messages
    from wharf.client.build import BuildParams
    from wharf.compose.createbody import image_name

    spec = service.build
    if spec is None:
        raise CommandFailed(1, f"service {service.name!r} has no build section")
    tag = image_name(project.name, service)
    args = {k: v if v is not None else meta.env.get(k) for k, v in spec.args.items()}
    # compose's dockerfile is relative to the context (the docker CLI's -f to the cwd)
    dockerfile = os.path.join(spec.context, spec.dockerfile)
    tar = make_context(spec.context, dockerfile, ctx.stdin, [], ctx.env)
    try:
        params = BuildParams(tags=[tag], build_args=args, target=spec.target or "",
                             dockerfile=tar.dockerfile if tar.dockerfile != "Dockerfile" else "",
                             no_cache=no_cache, pull=pull)
        messages = ctx.client().build.build(tar.chunks(), params)
        progress.finish()  # the build's output below the block
        display_messages(messages, ctx.stderr, False)
    finally:
        tar.close()
    progress.done(f"Image {tag}", "Built")
    found = image_id(ctx, tag)
    if found is None:
        raise CommandFailed(1, f"image {tag} was not found after its build")
    return found


def pull_ref(ctx: Context, ref: str, progress: Progress) -> None:
    from wharf.cli.commands.run import pull_image

    progress.finish()  # the pull's output below the block
    pull_image(ctx, ref, None, quiet=progress.quiet)
    progress.done(f"Image {ref}", "Pulled")


def ensure_image(ctx: Context, project: Project, service: Service, meta: Meta,
                 progress: Progress, build: bool, pull: str = "", no_build: bool = False) -> str:
    """The service's image ID, by its pull policy (``pull``, ``up --pull``, over the service's
    ``pull_policy``): built when asked (``--build``, ``build``) or when missing and the service
    has a build section (never with ``--no-build``); pulled first with ``always``, when missing
    with ``missing``; never pulled with ``never``."""
    from wharf.compose.createbody import image_name

    ref = image_name(project.name, service)
    policy = pull or service.pull_policy or "missing"
    buildable = service.build is not None and not no_build
    if buildable and (build or policy == "build"):
        return build_service(ctx, project, service, meta, progress)
    if policy == "always" and service.image is not None:
        pull_ref(ctx, ref, progress)
    found = image_id(ctx, ref)
    if found is not None:
        return found
    if buildable:
        return build_service(ctx, project, service, meta, progress)
    if policy == "never" or service.image is None:
        why = "its pull policy is never" if policy == "never" else "--no-build was given"
        raise CommandFailed(1, f"service {service.name!r}: image {ref} is missing and {why}")
    pull_ref(ctx, ref, progress)
    found = image_id(ctx, ref)
    if found is None:
        raise CommandFailed(1, f"image {ref} was not found after its pull")
    return found
