"""Reading containers: logs, top, diff, export, port, prune."""

from __future__ import annotations

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.commands.common import parse_filters, print_prune_report
from wharf.cli.flags import BOOL, LIST, STRING, Flag, Parsed
from wharf.client.streams import copy_demuxed

CHANGE_KINDS = {0: "C", 1: "A", 2: "D"}


def logs(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.timestamps import to_api_timestamp

    client = ctx.client()
    ref = opts.args[0]
    tty = bool(client.containers.inspect(ref).get("Config", {}).get("Tty"))
    pieces = client.containers.logs(
        ref, follow=bool(opts["follow"]), since=to_api_timestamp(str(opts["since"])) or None,
        until=to_api_timestamp(str(opts["until"])) or None,
        timestamps=bool(opts["timestamps"]), tail=str(opts["tail"]) or "all")

    def write_out(data: bytes) -> None:
        ctx.stdout.write(data)
        ctx.stdout.flush()

    def write_err(data: bytes) -> None:
        ctx.stderr.write(data)
        ctx.stderr.flush()

    if tty:
        for piece in pieces:
            write_out(piece)
    else:
        copy_demuxed(pieces, write_out, write_err)
    return 0


def top(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.formatting import align

    ps_args = " ".join(opts.args[1:]) or None
    result = ctx.client().containers.top(opts.args[0], ps_args)
    lines = ["\t".join(result.get("Titles") or [])]
    lines += ["\t".join(process) for process in result.get("Processes") or []]
    for line in align(lines, min_width=20):
        ctx.out(line)
    return 0


def diff(ctx: Context, opts: Parsed) -> int:
    for change in ctx.client().containers.changes(opts.args[0]):
        ctx.out(f"{CHANGE_KINDS.get(int(change.get('Kind', 0)), '?')} {change.get('Path')}")
    return 0


def export(ctx: Context, opts: Parsed) -> int:
    output = str(opts["output"])
    if not output and _is_terminal(ctx.stdout):
        raise CommandFailed(1, "cowardly refusing to save to a terminal. "
                               "Use the -o flag or redirect")
    pieces = ctx.client().containers.export(opts.args[0])
    if not output:
        for piece in pieces:
            ctx.stdout.write(piece)
        return 0
    with open(output, "wb") as handle:
        for piece in pieces:
            handle.write(piece)
    return 0


def _is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty()) if isatty is not None else False


def port(ctx: Context, opts: Parsed) -> int:
    ref = opts.args[0]
    ports = (ctx.client().containers.inspect(ref).get("NetworkSettings") or {}).get("Ports") or {}
    if len(opts.args) > 1:
        wanted = opts.args[1] if "/" in opts.args[1] else f"{opts.args[1]}/tcp"
        bindings = ports.get(wanted)
        if not bindings:
            raise CommandFailed(1, f"Error: No public port '{wanted}' published for {ref}")
        for binding in bindings:
            ctx.out(_host_address(binding))
        return 0
    for private in sorted(ports, key=_port_key):
        for binding in ports[private] or []:
            ctx.out(f"{private} -> {_host_address(binding)}")
    return 0


def _port_key(spec: str) -> tuple[int, str]:
    number, _, proto = spec.partition("/")
    return (int(number) if number.isdigit() else 0, proto)


def _host_address(binding: dict[str, str]) -> str:
    ip = binding.get("HostIp") or "0.0.0.0"
    host = f"[{ip}]" if ":" in ip else ip
    return f"{host}:{binding.get('HostPort', '')}"


def confirm(ctx: Context, warning: str) -> bool:
    """Docker's ``[y/N]`` prompt; anything but y/yes answers no."""
    ctx.out(f"{warning}\nAre you sure you want to continue? [y/N] ", end="")
    ctx.stdout.flush()
    answer = ctx.stdin.readline().decode("utf-8", "replace").strip().lower()
    return answer in ("y", "yes")


def prune(ctx: Context, opts: Parsed) -> int:

    if not opts["force"] and not confirm(ctx, "WARNING! This will remove all stopped "
                                              "containers."):
        return 0
    report = ctx.client().containers.prune(parse_filters(opts["filter"], "--filter"))
    print_prune_report(ctx, "Containers", report.get("ContainersDeleted") or [], report)
    return 0


LOGS = Command(
    "[OPTIONS] CONTAINER", "Fetch the logs of a container", logs,
    (Flag("details", "", BOOL, "Show extra details provided to logs"),
     Flag("follow", "f", BOOL, "Follow log output"),
     Flag("since", "", STRING, "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or "
                               "relative (e.g. \"42m\" for 42 minutes)"),
     Flag("tail", "n", STRING, "Number of lines to show from the end of the logs",
          default="all"),
     Flag("timestamps", "t", BOOL, "Show timestamps"),
     Flag("until", "", STRING, "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") "
                               "or relative (e.g. \"42m\" for 42 minutes)")),
    min_args=1, max_args=1)
TOP = Command("CONTAINER [ps OPTIONS]", "Display the running processes of a container", top,
              min_args=1, interspersed=False)
DIFF = Command("CONTAINER", "Inspect changes to files or directories on a container's "
                            "filesystem", diff, min_args=1, max_args=1)
EXPORT = Command("[OPTIONS] CONTAINER", "Export a container's filesystem as a tar archive",
                 export, (Flag("output", "o", STRING, "Write to a file, instead of STDOUT"),),
                 min_args=1, max_args=1)
PORT = Command("CONTAINER [PRIVATE_PORT[/PROTO]]",
               "List port mappings or a specific mapping for the container", port,
               min_args=1, max_args=2)
PRUNE = Command("[OPTIONS]", "Remove all stopped containers", prune,
                (Flag("filter", "", LIST, "Provide filter values (e.g. \"until=<timestamp>\")",
                      type_name="filter"),
                 Flag("force", "f", BOOL, "Do not prompt for confirmation")),
                max_args=0)
