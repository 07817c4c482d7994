"""``wharf ps`` / ``wharf container ls``."""

from __future__ import annotations

from wharf.cli.command import Command, Context
from wharf.cli.commands.common import FORMAT_FLAG, parse_filters
from wharf.cli.flags import BOOL, INT, LIST, Flag, Parsed


def ps(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.formatting import render
    from wharf.cli.rows import PS_HEADERS, PS_TABLE, ContainerRow

    limit = 1 if opts["latest"] else int(opts["last"])
    containers = ctx.client().containers.list(
        all_=bool(opts["all"]) or limit > 0, limit=limit, size=bool(opts["size"]),
        filters=parse_filters(opts["filter"]))
    rows = [ContainerRow(item, trunc=not opts["no-trunc"]) for item in containers]
    format_text = str(opts["format"])
    if opts["quiet"]:
        format_text = "{{.ID}}"
    elif opts["size"] and format_text in ("", "table"):
        format_text = PS_TABLE + "\t{{.Size}}"
    for line in render(format_text, PS_TABLE, rows, PS_HEADERS):
        ctx.out(line)
    return 0


PS = Command(
    "[OPTIONS]", "List containers", ps,
    flags=(
        Flag("all", "a", BOOL, "Show all containers (default shows just running)"),
        Flag("filter", "f", LIST, "Filter output based on conditions provided",
             type_name="filter"),
        FORMAT_FLAG,
        Flag("last", "n", INT, "Show n last created containers (includes all states)",
             default=-1),
        Flag("latest", "l", BOOL, "Show the latest created container (includes all states)"),
        Flag("no-trunc", "", BOOL, "Don't truncate output"),
        Flag("quiet", "q", BOOL, "Only display container IDs"),
        Flag("size", "s", BOOL, "Display total file sizes"),
    ),
    max_args=0,
)
