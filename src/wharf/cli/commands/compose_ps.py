"""``wharf compose ps`` (the project's containers in compose v2's columns) and ``wharf compose
ls`` (the projects found by Compose's labels, with their state counts)."""

from __future__ import annotations

import re
from typing import Any

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.commands.compose_common import name_of, project_containers, service_of, table_or_json
from wharf.cli.commands.compose_ops_target import resolve
from wharf.cli.flags import BOOL, LIST, STRING, Flag, Parsed, UsageError
from wharf.cli.rows import ContainerRow
from wharf.compose.labels import CONFIG_FILES, PROJECT

PS_TABLE = ("table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t"
            "{{.Status}}\t{{.Ports}}")
PS_HEADERS = {
    "ID": "CONTAINER ID", "Name": "NAME", "Project": "PROJECT", "Service": "SERVICE",
    "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT", "RunningFor": "CREATED",
    "Ports": "PORTS", "State": "STATE", "Status": "STATUS", "Size": "SIZE", "Labels": "LABELS",
}
STATUSES = ("paused", "restarting", "removing", "running", "dead", "created", "exited")
_EXIT_CODE = re.compile(r"^Exited \((-?\d+)\)")
_HEALTH = re.compile(r"\((healthy|unhealthy|health: starting)\)")


class ComposeContainerRow(ContainerRow):
    """A container seen through compose's ``ps`` placeholders (docker's plus ``.Name``,
    ``.Service``, ``.Project``, ``.Health``, ``.ExitCode``, ``.Publishers``)."""

    __slots__ = ()

    def Name(self) -> str:
        return name_of(self.data)

    def Service(self) -> str:
        return service_of(self.data)

    def Project(self) -> str:
        return str((self.data.get("Labels") or {}).get(PROJECT, ""))

    def Image(self) -> str:
        return str(self.data.get("Image") or "")

    def Health(self) -> str:
        found = _HEALTH.search(str(self.data.get("Status") or ""))
        if not found:
            return ""
        return "starting" if found.group(1) == "health: starting" else found.group(1)

    def ExitCode(self) -> int:
        found = _EXIT_CODE.match(str(self.data.get("Status") or ""))
        return int(found.group(1)) if found else 0

    def Publishers(self) -> list[dict[str, Any]]:
        return [{"URL": str(p.get("IP") or ""), "TargetPort": int(p.get("PrivatePort") or 0),
                 "PublishedPort": int(p.get("PublicPort") or 0),
                 "Protocol": str(p.get("Type") or "tcp")}
                for p in self.data.get("Ports") or []]

    def to_json(self) -> dict[str, Any]:  # type: ignore[override]
        names = ("Command", "CreatedAt", "ExitCode", "Health", "ID", "Image", "Labels",
                 "LocalVolumes", "Mounts", "Name", "Names", "Networks", "Ports", "Project",
                 "Publishers", "RunningFor", "Service", "Size", "State", "Status")
        return {name: getattr(self, name)() for name in names}


def _statuses(opts: Parsed) -> list[str]:
    statuses = [str(s) for s in opts["status"]]
    text = str(opts["filter"])
    if text:
        key, sep, value = text.partition("=")
        if not sep:
            raise CommandFailed(1, "arguments to --filter should be in form KEY=VAL")
        if key == "source":
            raise CommandFailed(1, "not implemented")
        if key != "status":
            raise CommandFailed(1, f"unknown filter {key}")
        statuses.append(value)
    for status in statuses:
        if status not in STATUSES:
            raise UsageError(f"invalid value for --status: {status}. Values: "
                             f"[{' | '.join(STATUSES)}]")
    return statuses


def ps(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.formatting import render

    target = resolve(ctx, opts.args)
    statuses = _statuses(opts)
    services = target.services or None
    if services is None and target.project is not None and not opts["orphans"]:
        services = list(target.project.services)
    every = bool(opts["all"]) or bool(statuses)
    found = project_containers(ctx, target.name, services, all_=every,
                               oneoff=None if opts["all"] else False)
    if statuses:
        found = [c for c in found if c.get("State") in statuses]
    found.sort(key=name_of)
    if opts["quiet"]:
        for container in found:
            ctx.out(str(container.get("Id", "")))
        return 0
    if opts["services"]:
        for service in dict.fromkeys(service_of(c) for c in found):
            ctx.out(service)
        return 0
    rows = [ComposeContainerRow(c, trunc=not opts["no-trunc"]) for c in found]
    for line in render(str(opts["format"]), PS_TABLE, rows, PS_HEADERS):
        ctx.out(line)
    return 0


def _stacks(containers: list[dict[str, Any]]) -> list[dict[str, str]]:
    by_project: dict[str, list[dict[str, Any]]] = {}
    for container in containers:
        labels = container.get("Labels") or {}
        by_project.setdefault(str(labels.get(PROJECT, "")), []).append(container)
    stacks = []
    for name in sorted(by_project):
        members = by_project[name]
        counts: dict[str, int] = {}
        files: list[str] = []
        for container in members:
            state = str(container.get("State") or "")
            counts[state] = counts.get(state, 0) + 1
            for file in str((container.get("Labels") or {}).get(CONFIG_FILES, "")).split(","):
                if file and file not in files:
                    files.append(file)
        status = ", ".join(f"{state}({counts[state]})" for state in sorted(counts))
        stacks.append({"Name": name, "Status": status, "ConfigFiles": ",".join(files)})
    return stacks


def _name_filter(values: list[str]) -> list[str]:
    patterns = []
    for value in values:
        key, sep, text = value.partition("=")
        if not sep:
            raise CommandFailed(1, f"bad format of filter (expected name=value): {value}")
        if key != "name":
            raise CommandFailed(1, f"invalid filter '{key}'")
        patterns.append(text)
    return patterns


def ls(ctx: Context, opts: Parsed) -> int:
    patterns = _name_filter([str(v) for v in opts["filter"]])
    found = ctx.client().containers.list(all_=bool(opts["all"]), filters={"label": [PROJECT]})
    stacks = [s for s in _stacks(found)
              if not patterns or any(re.search(p, s["Name"]) for p in patterns)]
    format_text = str(opts["format"])
    if opts["quiet"]:
        for stack in stacks:
            ctx.out(stack["Name"])
    else:
        table_or_json(ctx, format_text, stacks, ["NAME\tSTATUS\tCONFIG FILES"] + [
            f"{s['Name']}\t{s['Status']}\t{s['ConfigFiles']}" for s in stacks])
    return 0


PS = Command(
    "[OPTIONS] [SERVICE...]", "List containers", ps,
    (Flag("all", "a", BOOL, "Show all stopped containers (including those created by the run "
                            "command)"),
     Flag("filter", "", STRING, "Filter services by a property (supported filters: status)"),
     Flag("format", "", STRING, "Format output using a custom template: 'table', 'table "
                                "TEMPLATE', 'json' or 'TEMPLATE'", default="table"),
     Flag("no-trunc", "", BOOL, "Don't truncate output"),
     Flag("orphans", "", BOOL, "Include orphaned services (not declared by project)",
          default=True),
     Flag("quiet", "q", BOOL, "Only display IDs"),
     Flag("services", "", BOOL, "Display services"),
     Flag("status", "", LIST, "Filter services by status. Values: [paused | restarting | "
                              "removing | running | dead | created | exited]",
          type_name="stringArray")))
LS = Command(
    "[OPTIONS]", "List running compose projects", ls,
    (Flag("all", "a", BOOL, "Show all stopped Compose projects"),
     Flag("filter", "", LIST, "Filter output based on conditions provided", type_name="filter"),
     Flag("format", "", STRING, "Format the output. Values: [table | json]", default="table"),
     Flag("quiet", "q", BOOL, "Only display project names")),
    max_args=0)
