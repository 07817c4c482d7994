"""``wharf compose top|port|images|version``: what the project's containers run, publish and
are made from, and which compose this is."""

from __future__ import annotations

from typing import Any

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.commands.compose_common import (
    name_of,
    number_of,
    project_containers,
    service_of,
    table_or_json,
)
from wharf.cli.commands.compose_ops_target import pick_container, resolve
from wharf.cli.flags import BOOL, INT, STRING, Flag, Parsed
from wharf.core.errors import NotFound

IMAGES_HEADER = "CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE"


def top_table(entries: list[tuple[str, int, dict[str, Any]]]) -> list[str]:
    """One table for all containers: ``SERVICE``, ``#`` (the replica), then the ps columns
    in the order met, ``CMD`` last, ``-`` where a container lacks a column."""
    titles: list[str] = []
    rows: list[dict[str, str]] = []
    for service, replica, result in entries:
        names = [str(t) for t in result.get("Titles") or []]
        titles += [t for t in names if t not in titles]
        for process in result.get("Processes") or []:
            row = dict(zip(names, (str(v) for v in process), strict=False))
            rows.append({"SERVICE": service, "#": str(replica), **row})
    if not rows:
        return []
    if "CMD" in titles:
        titles = [t for t in titles if t != "CMD"] + ["CMD"]
    columns = ["SERVICE", "#", *titles]
    return ["\t".join(columns)] + ["\t".join(row.get(c, "-") for c in columns) for row in rows]


def tabulate(lines: list[str], min_width: int = 4, padding: int = 2) -> list[str]:
    """Go's tabwriter as compose's ``top`` sets it (min width 4, padding 2)."""
    split = [line.split("\t") for line in lines]
    widths = [max(max(len(cells[i]) + padding, min_width) for cells in split if len(cells) > i)
              for i in range(max((len(c) for c in split), default=0) - 1)]
    return ["".join(cell.ljust(widths[i]) for i, cell in enumerate(cells[:-1])) + cells[-1]
            for cells in split]


def top(ctx: Context, opts: Parsed) -> int:
    target = resolve(ctx, opts.args)
    containers = project_containers(ctx, target.name, target.services or None, all_=False,
                                    oneoff=None)
    containers.sort(key=name_of)
    client = ctx.client()
    entries = [(service_of(c), number_of(c), client.containers.top(str(c["Id"])))
               for c in containers]
    for line in tabulate(top_table(entries)):
        ctx.out(line)
    return 0


def port(ctx: Context, opts: Parsed) -> int:
    service, private = opts.args
    if not private.isdigit() or int(private) > 65535:
        raise CommandFailed(1, f"strconv.ParseUint: parsing \"{private}\": invalid syntax")
    protocol = str(opts["protocol"])
    target = resolve(ctx, [service])
    running = project_containers(ctx, target.name, [service], all_=False)
    index = int(opts["index"]) or 1
    if not any(number_of(c) == index for c in running):
        raise CommandFailed(1, f"no container found for {service}-{index}")
    container = pick_container(running, service, index)
    ports = container.get("Ports") or []
    for entry in ports:
        if int(entry.get("PrivatePort") or 0) == int(private) and entry.get("Type") == protocol:
            ctx.out(f"{entry.get('IP') or ''}:{int(entry.get('PublicPort') or 0)}")
            return 0
    known = ", ".join(f"{int(p.get('PublicPort') or 0)}/{p.get('Type')}" for p in ports)
    raise CommandFailed(1, f"no port {private}/{protocol} for container "
                           f"{name_of(container)}: {known}")


def _image_rows(ctx: Context, containers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    client = ctx.client()
    cache: dict[str, dict[str, Any]] = {}
    rows = []
    for container in sorted(containers, key=name_of):
        image_id = str(container.get("ImageID") or "")
        if image_id not in cache:
            try:
                cache[image_id] = client.images.inspect(image_id)
            except NotFound:  # removed since (rmi -f): shown untagged, as compose shows it
                cache[image_id] = {"Id": image_id}
        image = cache[image_id]
        tags = [str(t) for t in image.get("RepoTags") or []]
        repo, _, tag = tags[0].rpartition(":") if tags else ("", "", "")
        if "/" in tag:  # a registry port, no tag
            repo, tag = tags[0], ""
        rows.append({"ID": str(image.get("Id") or image_id), "ContainerName": name_of(container),
                     "Repository": repo, "Tag": tag, "Size": int(image.get("Size") or 0)})
    return rows


def images(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.formatting import human_size, truncate_id

    target = resolve(ctx, opts.args)
    containers = project_containers(ctx, target.name, target.services or None, all_=True)
    rows = _image_rows(ctx, containers)
    format_text = str(opts["format"])
    if opts["quiet"]:
        for ident in dict.fromkeys(r["ID"].partition(":")[2] or r["ID"] for r in rows):
            ctx.out(ident)
    else:
        table_or_json(ctx, format_text, rows, [IMAGES_HEADER] + [
            f"{r['ContainerName']}\t{r['Repository'] or '<none>'}\t{r['Tag'] or '<none>'}\t"
            f"{truncate_id(r['ID'])}\t{human_size(float(r['Size']))}" for r in rows])
    return 0


def version(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.main import VERSION
    from wharf.lib.jsoncodec import dumps

    format_text = str(opts["format"])
    if opts["short"]:
        ctx.out(VERSION)
    elif format_text == "json":
        ctx.out(dumps({"version": VERSION}, separators=(",", ":")))
    elif format_text in ("", "pretty"):
        ctx.out(f"wharf compose version {VERSION}")
    else:
        raise CommandFailed(1, f"format value {format_text!r} could not be parsed: "
                               "Values: [pretty | json]")
    return 0


TOP = Command("[SERVICES...]", "Display the running processes", top)
PORT = Command(
    "[OPTIONS] SERVICE PRIVATE_PORT", "Print the public port for a port binding", port,
    (Flag("index", "", INT, "Index of the container if service has multiple replicas",
          default=1),
     Flag("protocol", "", STRING, "tcp or udp", default="tcp")),
    min_args=2, max_args=2)
IMAGES = Command(
    "[OPTIONS] [SERVICE...]", "List images used by the created containers", images,
    (Flag("format", "", STRING, "Format the output. Values: [table | json]", default="table"),
     Flag("quiet", "q", BOOL, "Only display IDs")))
VERSION_COMMAND = Command(
    "[OPTIONS]", "Show the wharf compose version information", version,
    (Flag("format", "f", STRING, "Format the output. Values: [pretty | json]",
          default="pretty"),
     Flag("short", "", BOOL, "Shows only the version number")),
    max_args=0)
