"""``wharf compose build``, ``pull`` and ``push``: per service, through the same client APIs
and display as ``wharf build``/``pull``/``push``. ``pull`` skips services that only build;
``push`` pushes the services that build an image they name (``build`` and ``image``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.flags import BOOL, Flag, Parsed

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    JSON = dict[str, Any]
    from wharf.compose.createbody import Meta
    from wharf.compose.model import Project


def _services(ctx: Context, names: list[str]) -> tuple[Project, Meta]:
    from wharf.cli.commands.compose_common import load_for_engine
    from wharf.cli.commands.compose_select import selected_project

    project, meta = load_for_engine(ctx)
    return selected_project(ctx, project, names, no_deps=True), meta


def build(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.commands.compose_images import build_service
    from wharf.cli.commands.compose_progress import Progress

    project, meta = _services(ctx, list(opts.args))
    progress = Progress(ctx)
    for _name, svc in sorted(project.services.items()):
        if svc.build is not None:
            build_service(ctx, project, svc, meta, progress, bool(opts["no-cache"]),
                          bool(opts["pull"]))
    return 0


def pull(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.commands.compose_progress import Progress
    from wharf.cli.commands.run import pull_image
    from wharf.core.errors import WharfError

    project, _meta = _services(ctx, list(opts.args))
    progress = Progress(ctx, "Pulling")
    quiet = bool(opts["quiet"]) or progress.quiet
    for _name, svc in sorted(project.services.items()):
        if svc.image is None:
            continue  # only built: nothing to pull
        progress.finish()  # the pull's output below the block
        try:
            pull_image(ctx, svc.image, None, quiet)
        except (CommandFailed, WharfError) as exc:
            if not opts["ignore-pull-failures"]:
                raise
            progress.error(f"Image {svc.image}", f"Error {exc}")
            continue
        progress.done(f"Image {svc.image}", "Pulled")
    return 0


def push(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.commands.compose_progress import Progress
    from wharf.cli.commands.distribution import show_progress, start_stream
    from wharf.core.reference import parse_reference

    project, _meta = _services(ctx, list(opts.args))
    progress = Progress(ctx, "Pushing")
    images = ctx.client().images
    for _name, svc in sorted(project.services.items()):
        if svc.image is None or svc.build is None:
            continue  # as docker compose: only the images the project builds and names
        ref = parse_reference(svc.image).with_default_tag()
        name, tag = ref.familiar_name, ref.tag

        def start(auth: str, name: str = name, tag: str | None = tag) -> Iterator[JSON]:
            return images.push(name, tag, auth, None)

        progress.finish()  # the push's output below the block
        messages = start_stream(ctx, start, ref.domain, "push")
        show_progress(ctx, messages, bool(opts["quiet"]) or progress.quiet)
        progress.done(f"Image {svc.image}", "Pushed")
    return 0


_QUIET = Flag("quiet", "q", BOOL, "Push without printing progress information")

BUILD = Command("[OPTIONS] [SERVICE...]", "Build or rebuild services", build, (
    Flag("no-cache", "", BOOL, "Do not use cache when building the image"),
    Flag("pull", "", BOOL, "Always attempt to pull a newer version of the image"),
))
PULL = Command("[OPTIONS] [SERVICE...]", "Pull service images", pull, (
    Flag("ignore-pull-failures", "", BOOL, "Pull what it can and ignores images with pull "
                                           "failures"),
    Flag("quiet", "q", BOOL, "Pull without printing progress information"),
))
PUSH = Command("[OPTIONS] [SERVICE...]", "Push service images", push, (_QUIET,))
