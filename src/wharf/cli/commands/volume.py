"""``wharf volume create|ls|inspect|rm|prune``: docker's flags and output."""

from __future__ import annotations

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.commands.common import FORMAT_FLAG, for_each, parse_filters, print_prune_report
from wharf.cli.commands.containers import confirm
from wharf.cli.commands.inspect import FORMAT as INSPECT_FORMAT
from wharf.cli.flags import BOOL, LIST, STRING, Flag, Parsed
from wharf.cli.runconfig import key_value_map

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

LS_TABLE = "table {{.Driver}}\t{{.Name}}"
LS_HEADERS = {"Driver": "DRIVER", "Name": "VOLUME NAME", "Scope": "SCOPE",
              "Mountpoint": "MOUNTPOINT", "Labels": "LABELS", "Links": "LINKS",
              "Size": "SIZE", "CreatedAt": "CREATED AT"}



def create(ctx: Context, opts: Parsed) -> int:
    name = str(opts["name"])
    if opts.args:
        if name and name != opts.args[0]:
            raise CommandFailed(1, "conflicting options: cannot specify a volume-name through "
                                   "both --name and as a positional arg")
        name = opts.args[0]
    created = ctx.client().volumes.create(name, str(opts["driver"]) or "local",
                                          key_value_map(opts["opt"]), key_value_map(opts["label"]))
    ctx.out(str(created.get("Name", "")))
    return 0


def _row(volume: dict[str, Any]) -> dict[str, Any]:
    from wharf.core.units import human_size

    labels = volume.get("Labels") or {}
    usage = volume.get("UsageData") or {}
    size = usage.get("Size", -1)
    return {**volume, "Labels": ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
            "Links": "N/A" if usage.get("RefCount", -1) < 0 else str(usage["RefCount"]),
            "Size": "N/A" if size < 0 else human_size(float(size), 4)}


def ls(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.formatting import render

    listed = ctx.client().volumes.list(parse_filters(opts["filter"])).get("Volumes") or []
    rows = [_row(v) for v in sorted(listed, key=lambda v: str(v.get("Name")))]
    format_text = "{{.Name}}" if opts["quiet"] else str(opts["format"])
    for line in render(format_text, LS_TABLE, rows, LS_HEADERS):
        ctx.out(line)
    return 0


def inspect(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.commands.inspect import inspect_with

    return inspect_with(ctx, opts.args, ctx.client().volumes.inspect, str(opts["format"]))


def rm(ctx: Context, opts: Parsed) -> int:
    volumes, force = ctx.client().volumes, bool(opts["force"])
    return for_each(ctx, opts.args, lambda name: volumes.remove(name, force))


def prune(ctx: Context, opts: Parsed) -> int:

    filters = parse_filters(opts["filter"], "--filter")
    if opts["all"]:
        filters["all"] = ["true"]
    what = "all local volumes" if opts["all"] else "anonymous local volumes"
    if not opts["force"] and not confirm(
            ctx, f"WARNING! This will remove {what} not used by at least one container."):
        return 0
    report = ctx.client().volumes.prune(filters)
    print_prune_report(ctx, "Volumes", report.get("VolumesDeleted") or [], report)
    return 0


FILTER = Flag("filter", "f", LIST, "Provide filter values (e.g. \"dangling=true\")",
              type_name="filter")
CREATE = Command(
    "[OPTIONS] [VOLUME]", "Create a volume", create,
    (Flag("driver", "d", STRING, "Specify volume driver name", default="local"),
     Flag("label", "", LIST, "Set metadata for a volume"),
     Flag("name", "", STRING, "Specify volume name", hidden=True),
     Flag("opt", "o", LIST, "Set driver specific options", type_name="map")),
    max_args=1)
LS = Command(
    "[OPTIONS]", "List volumes", ls,
    (FILTER, FORMAT_FLAG, Flag("quiet", "q", BOOL, "Only display volume names")),
    max_args=0)
INSPECT = Command("[OPTIONS] VOLUME [VOLUME...]",
                  "Display detailed information on one or more volumes", inspect,
                  (INSPECT_FORMAT,), min_args=1)
RM = Command("[OPTIONS] VOLUME [VOLUME...]", "Remove one or more volumes", rm,
             (Flag("force", "f", BOOL, "Force the removal of one or more volumes"),),
             min_args=1)
PRUNE = Command(
    "[OPTIONS]", "Remove unused local volumes", prune,
    (Flag("all", "a", BOOL, "Remove all unused volumes, not just anonymous ones"),
     Flag("filter", "", LIST, "Provide filter values (e.g. \"label=<label>\")",
          type_name="filter"),
     Flag("force", "f", BOOL, "Do not prompt for confirmation")),
    max_args=0)
