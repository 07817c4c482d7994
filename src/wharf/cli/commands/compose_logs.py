"""``wharf compose logs``: the logs of all the project's containers, each line behind compose's
coloured ``web-1  | `` prefix; ``-f`` follows every container at once (a thread per stream, the
client being synchronous) until all streams end or Ctrl-C."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import BinaryIO

from wharf.cli.command import Command, CommandFailed, Context, describe_error
from wharf.cli.commands.compose_common import project_containers
from wharf.cli.commands.compose_ops_progress import use_colour
from wharf.cli.commands.compose_ops_target import Container, number_of, resolve, short_name
from wharf.cli.flags import BOOL, INT, STRING, Flag, Parsed
from wharf.client.streams import demux
from wharf.core.errors import WharfError

# compose's rainbow: cyan, yellow, green, magenta, blue, then the same intense (bold)
RAINBOW = ("36", "33", "32", "35", "34", "36;1", "33;1", "32;1", "35;1", "34;1")
JOIN_POLL = 0.2  # seconds between checks of the follower threads (lets Ctrl-C through)


def prefixes(names: list[str], colour: bool) -> dict[str, str]:
    """Each name padded to the longest plus one, then `` | ``; coloured in the rainbow's
    order of the names when ``colour``."""
    width = max((len(n) for n in names), default=0) + 1
    result = {}
    for index, name in enumerate(names):
        text = f"{name.ljust(width)} | "
        if colour:
            text = f"\x1b[{RAINBOW[index % len(RAINBOW)]}m{text}\x1b[0m"
        result[name] = text
    return result


class LinePrinter:
    """Writes whole lines, each behind its container's prefix, one writer at a time."""

    def __init__(self, out: BinaryIO, prefixes: dict[str, str]) -> None:
        self.out = out
        self.prefixes = {k: v.encode() for k, v in prefixes.items()}
        self.lock = threading.Lock()

    def copy(self, name: str, pieces: Iterable[bytes]) -> None:
        prefix = self.prefixes.get(name, b"")
        pending = b""
        for piece in pieces:
            pending += piece
            *lines, pending = pending.split(b"\n")
            if lines:
                self._write(prefix, lines)
        if pending:
            self._write(prefix, [pending])

    def _write(self, prefix: bytes, lines: list[bytes]) -> None:
        data = b"".join(prefix + line + b"\n" for line in lines)
        with self.lock:
            self.out.write(data)
            self.out.flush()


def _payloads(pieces: Iterable[bytes], tty: bool) -> Iterable[bytes]:
    if tty:
        yield from pieces
        return
    for _stream, payload in demux(pieces):
        yield payload


def _stream_of(ctx: Context, container: Container, opts: Parsed) -> Iterable[bytes]:
    from wharf.cli.timestamps import to_api_timestamp

    client = ctx.client()
    ident = str(container["Id"])
    tty = bool((client.containers.inspect(ident).get("Config") or {}).get("Tty"))
    pieces = client.containers.logs(
        ident, follow=bool(opts["follow"]), timestamps=bool(opts["timestamps"]),
        since=to_api_timestamp(str(opts["since"])) or None,
        until=to_api_timestamp(str(opts["until"])) or None, tail=str(opts["tail"]) or "all")
    return _payloads(pieces, tty)


def logs(ctx: Context, opts: Parsed) -> int:
    target = resolve(ctx, opts.args)
    containers = project_containers(ctx, target.name, target.services or None, all_=True)
    index = int(opts["index"])
    if index:
        containers = [c for c in containers if number_of(c) == index]
    names = {str(c["Id"]): short_name(c, target.name) for c in containers}
    colour = not opts["no-color"] and use_colour(ctx, ctx.stdout)
    shown = {} if opts["no-log-prefix"] else prefixes(list(names.values()), colour)
    printer = LinePrinter(ctx.stdout, shown)
    errors: list[str] = []

    def follow(container: Container) -> None:
        try:
            printer.copy(names[str(container["Id"])], _stream_of(ctx, container, opts))
        except WharfError as exc:
            errors.append(describe_error(exc))

    threads = [threading.Thread(target=follow, args=(c,), daemon=True) for c in containers]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(JOIN_POLL)
    except KeyboardInterrupt:
        raise CommandFailed(130) from None
    for error in errors:
        ctx.err(error)
    return 1 if errors else 0


LOGS = Command(
    "[OPTIONS] [SERVICE...]", "View output from containers", logs,
    (Flag("follow", "f", BOOL, "Follow log output"),
     Flag("index", "", INT, "index of the container if service has multiple replicas"),
     Flag("no-color", "", BOOL, "Produce monochrome output"),
     Flag("no-log-prefix", "", BOOL, "Don't print prefix in logs"),
     Flag("since", "", STRING, "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or "
                               "relative (e.g. 42m for 42 minutes)"),
     Flag("tail", "n", STRING, "Number of lines to show from the end of the logs for each "
                               "container", default="all"),
     Flag("timestamps", "t", BOOL, "Show timestamps"),
     Flag("until", "", STRING, "Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or "
                               "relative (e.g. 42m for 42 minutes)")))
