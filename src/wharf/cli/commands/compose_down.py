"""``wharf compose down``: stop and remove the project's containers (one-off ones too), its
networks, with ``-v`` its volumes, with ``--rmi`` its images. Everything is found by Compose's
labels, so a partial ``up`` is cleaned up too and ``-p NAME`` alone is enough."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.flags import BOOL, INT, STRING, Flag, Parsed

if TYPE_CHECKING:
    from wharf.cli.commands.compose_progress import Progress
    from wharf.compose.model import Project


def _label(c: dict[str, Any], key: str) -> str:
    return str((c.get("Labels") or {}).get(key, ""))


def _stop_rank(project: Project | None) -> dict[str, int]:
    from wharf.compose.order import stop_order

    if project is None:
        return {}
    return {name: n for n, name in enumerate(stop_order(project.dependencies()))}


def _doomed(ctx: Context, name: str, project: Project | None, remove_orphans: bool,
            progress: Progress) -> list[dict[str, Any]]:
    from wharf.cli.commands.compose_common import (
        name_of,
        orphans_warning,
        project_containers,
        service_of,
    )
    from wharf.compose.labels import ONEOFF

    found = project_containers(ctx, name, all_=True, oneoff=None)
    if project is None or remove_orphans:
        chosen = found
    else:
        known = set(project.services)
        chosen = [c for c in found if service_of(c) in known or _label(c, ONEOFF) == "True"]
        left = sorted(name_of(c) for c in found if c not in chosen)
        if left:
            progress.warn(orphans_warning(left))
    rank = _stop_rank(project)
    return sorted(chosen, key=lambda c: (rank.get(service_of(c), -1), name_of(c)))


def _remove_images(ctx: Context, name: str, containers: list[dict[str, Any]], which: str,
                   progress: Progress) -> None:
    from wharf.cli.commands.compose_common import service_of
    from wharf.compose.labels import IMAGE
    from wharf.core.errors import NotFound

    refs = set()
    for c in containers:
        image, service = _label(c, IMAGE), service_of(c)
        built = image == f"{name}-{service}"
        if image and (which == "all" or built):
            refs.add(image)
    for ref in sorted(refs):
        try:
            ctx.client().images.remove(ref)
        except NotFound:
            continue
        progress.done(f"Image {ref}", "Removed")


def down(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.commands.compose_common import name_of
    from wharf.cli.commands.compose_ops_target import resolve
    from wharf.cli.commands.compose_progress import Progress
    from wharf.cli.commands.compose_resources import remove_networks, remove_volumes

    rmi = str(opts["rmi"])
    if rmi not in ("", "local", "all"):
        raise CommandFailed(1, f"invalid --rmi option {rmi!r}: must be \"local\" or \"all\"")
    timeout = int(opts["timeout"]) if opts.changed("timeout") else None
    target = resolve(ctx, [])  # without a file, -p NAME: everything with its label goes
    project, name = target.project, target.name
    progress = Progress(ctx)
    doomed = _doomed(ctx, name, project, bool(opts["remove-orphans"]), progress)
    containers = ctx.client().containers
    for c in doomed:
        cname = name_of(c)
        if c.get("State") in ("running", "paused", "restarting"):
            containers.stop(str(c["Id"]), timeout)
            progress.done(f"Container {cname}", "Stopped")
        containers.remove(str(c["Id"]), force=True, volumes=bool(opts["volumes"]))
        progress.done(f"Container {cname}", "Removed")
    if rmi:
        _remove_images(ctx, name, doomed, rmi, progress)
    if opts["volumes"]:
        remove_volumes(ctx, name, progress)
    remove_networks(ctx, name, progress)
    return 0


DOWN = Command("[OPTIONS]", "Stop and remove containers, networks", down, (
    Flag("remove-orphans", "", BOOL, "Remove containers for services not defined in the "
                                     "Compose file"),
    Flag("rmi", "", STRING, 'Remove images used by services. "local" remove only images that '
                            'don\'t have a custom tag ("local"|"all")'),
    Flag("timeout", "t", INT, "Specify a shutdown timeout in seconds"),
    Flag("volumes", "v", BOOL, "Remove named volumes declared in the \"volumes\" section of "
                               "the Compose file and anonymous volumes attached to containers"),
), max_args=0)
