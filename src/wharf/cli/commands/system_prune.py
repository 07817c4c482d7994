"""``wharf system prune [-a] [--volumes] [--filter ...] [-f]``: docker's prompt, then the
prune endpoints in docker's order (containers, networks, volumes, images, build cache), each
one's ``Deleted ...:`` list, and the ``Total reclaimed space``."""

from __future__ import annotations

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.commands.common import parse_filters
from wharf.cli.flags import BOOL, LIST, Flag, Parsed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from wharf.client.api import Client


def warnings(all_: bool, volumes: bool) -> list[str]:
    """What the prompt lists, in docker's words."""
    out = ["all stopped containers", "all networks not used by at least one container"]
    if volumes:
        out.append("all anonymous volumes not used by at least one container")
    if all_:
        out += ["all images without at least one container associated to them",
                "all build cache"]
    else:
        out += ["all dangling images", "unused build cache"]
    return out


def prompt_text(all_: bool, volumes: bool, filter_flags: list[str]) -> str:
    lines = ["WARNING! This will remove:", *(f"  - {w}" for w in warnings(all_, volumes))]
    if filter_flags:
        lines += ["", "  Items to be pruned will be filtered with:",
                  *(f"  - {f}" for f in sorted(filter_flags))]
    return "\n".join(lines) + "\n"


def prune(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.commands.containers import confirm
    from wharf.cli.formatting import human_size

    filter_flags = [str(f) for f in opts["filter"]]
    filters = parse_filters(filter_flags, "--filter")
    all_, volumes = bool(opts["all"]), bool(opts["volumes"])
    if volumes and "until" in filters:
        raise CommandFailed(1, 'ERROR: The "until" filter is not supported with "--volumes"')
    if not opts["force"] and not confirm(ctx, prompt_text(all_, volumes, filter_flags)):
        return 0
    client = ctx.client()
    reclaimed = 0
    for heading, lines, space in _pruned(client, filters, all_, volumes):
        reclaimed += space
        if lines:
            ctx.out("\n".join([f"Deleted {heading}:", *lines]) + "\n")
    ctx.out(f"Total reclaimed space: {human_size(float(reclaimed), 4)}")
    return 0


def _pruned(client: Client, filters: dict[str, list[str]], all_: bool, volumes: bool
            ) -> Any:
    """(heading, deleted lines, bytes) of each prune, run one after the other as docker does
    (an error stops the rest)."""
    report = client.containers.prune(filters)
    yield "Containers", [str(i) for i in report.get("ContainersDeleted") or []], _space(report)
    report = client.networks.prune(filters)
    yield "Networks", [str(n) for n in report.get("NetworksDeleted") or []], 0
    if volumes:
        report = client.volumes.prune(filters)
        yield "Volumes", [str(v) for v in report.get("VolumesDeleted") or []], _space(report)
    image_filters = {**filters, "dangling": ["false" if all_ else "true"]}
    report = client.images.prune(image_filters)
    yield "Images", _image_lines(report.get("ImagesDeleted") or []), _space(report)
    report = client.build.prune(all_, filters)
    yield ("build cache objects", [str(c) for c in report.get("CachesDeleted") or []],
           _space(report))


def _space(report: dict[str, Any]) -> int:
    return int(report.get("SpaceReclaimed") or 0)


def _image_lines(entries: list[dict[str, Any]]) -> list[str]:
    lines = []
    for entry in entries:
        if entry.get("Untagged"):
            lines.append(f"untagged: {entry['Untagged']}")
        if entry.get("Deleted"):
            lines.append(f"deleted: {entry['Deleted']}")
    return lines


PRUNE = Command(
    "[OPTIONS]", "Remove unused data", prune,
    (Flag("all", "a", BOOL, "Remove all unused images not just dangling ones"),
     Flag("filter", "", LIST, "Provide filter values (e.g. \"label=<key>=<value>\")",
          type_name="filter"),
     Flag("force", "f", BOOL, "Do not prompt for confirmation"),
     Flag("volumes", "", BOOL, "Prune anonymous volumes")),
    max_args=0)
