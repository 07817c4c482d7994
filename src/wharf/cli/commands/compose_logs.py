"""``wharf compose logs``: the logs of all the project's containers, each line behind compose's
coloured ``web-1  | `` prefix; ``-f`` follows every container at once (a thread per stream, the
client being synchronous), picks up containers that start again, and ends when all streams end
or on Ctrl-C."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from wharf.cli.command import Command, CommandFailed, Context, describe_error
from wharf.cli.commands.compose_common import number_of, project_containers
from wharf.cli.commands.compose_ops_target import resolve, short_name
from wharf.cli.commands.compose_progress import use_colour
from wharf.cli.flags import BOOL, INT, STRING, Flag, Parsed
from wharf.client.streams import demux

# compose's rainbow: cyan, yellow, green, magenta, blue, then the same intense (bold)
RAINBOW = ("36", "33", "32", "35", "34", "36;1", "33;1", "32;1", "35;1", "34;1")


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
    """Writes whole lines, each behind its container's prefix, one writer at a time; a name
    met later (a container started while following) widens every prefix, as compose's do."""

    def __init__(self, out: BinaryIO, names: list[str], colour: bool, shown: bool = True):
        self.out = out
        self.colour = colour
        self.shown = shown
        self.lock = threading.Lock()
        self.names: list[str] = []
        self.prefixes: dict[str, bytes] = {}
        for name in names:
            self.register(name)

    def register(self, name: str) -> None:
        with self.lock:
            if name in self.names:
                return
            self.names.append(name)
            if self.shown:
                made = prefixes(self.names, self.colour)
                self.prefixes = {k: v.encode() for k, v in made.items()}

    def copy(self, name: str, pieces: Iterable[bytes]) -> None:
        for line in split_lines(pieces):
            self.write(name, [line])

    def write(self, name: str, lines: list[bytes]) -> None:
        with self.lock:
            prefix = self.prefixes.get(name, b"")  # none for a name not registered
            self.out.write(b"".join(prefix + line + b"\n" for line in lines))
            self.out.flush()


def split_lines(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Whole lines (without their newline) from arbitrary pieces; a last unfinished line too."""
    pending = b""
    for piece in pieces:
        pending += piece
        *lines, pending = pending.split(b"\n")
        yield from lines
    if pending:
        yield pending


def split_stamp(line: bytes) -> tuple[int, bytes]:
    """``(nanoseconds since the epoch, the rest)`` of a line the daemon stamped with its
    RFC 3339 time (``2006-01-02T15:04:05.999999999Z text``); ``(0, line)`` if it has none."""
    from datetime import datetime

    stamp, space, rest = line.partition(b" ")
    text = stamp.decode("ascii", "replace")
    if not space or len(text) < 20 or not text.endswith("Z"):
        return 0, line
    try:
        whole = datetime.fromisoformat(text[:19] + "+00:00")
    except ValueError:
        return 0, line
    fraction = text[20:-1] if text[19:20] == "." else ""
    if not fraction.isdigit() and fraction:
        return 0, line
    return int(whole.timestamp()) * 10**9 + int((fraction + "0" * 9)[:9]), rest


def payloads(pieces: Iterable[bytes], tty: bool) -> Iterable[bytes]:
    """A log stream's payloads: as they come from a TTY container, demultiplexed otherwise."""
    if tty:
        yield from pieces
        return
    for _stream, payload in demux(pieces):
        yield payload


def log_stream(ctx: Context, ident: str, opts: Parsed, after: int = 0) -> Iterable[bytes]:
    """The container's log payloads as the flags ask; when following, always stamped (the
    stamps say where a stream ended), and from ``after`` (nanoseconds) on when that is set."""
    from wharf.cli.timestamps import to_api_timestamp

    client = ctx.client()
    tty = bool((client.containers.inspect(ident).get("Config") or {}).get("Tty"))
    since = to_api_timestamp(str(opts["since"])) or None
    if after:
        since = f"{after // 10**9}.{after % 10**9:09d}"
    pieces = client.containers.logs(
        ident, follow=bool(opts["follow"]), timestamps=bool(opts["timestamps"] or opts["follow"]),
        since=since, until=to_api_timestamp(str(opts["until"])) or None,
        tail="all" if after else str(opts["tail"]) or "all")
    return payloads(pieces, tty)


def logs(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.commands.compose_logs_follow import Followers

    target = resolve(ctx, opts.args)
    listed_at = time.time()
    containers = project_containers(ctx, target.name, target.services or None, all_=True)
    index = int(opts["index"])
    if index:
        containers = [c for c in containers if number_of(c) == index]
    colour = not opts["no-color"] and use_colour(ctx, ctx.stdout)
    printer = LinePrinter(ctx.stdout, [short_name(c, target.name) for c in containers], colour,
                          shown=not opts["no-log-prefix"])
    followers = Followers(ctx, target, opts, printer)
    for container in containers:
        followers.add(str(container["Id"]), short_name(container, target.name))
    if opts["follow"]:
        followers.watch_starts(listed_at)
    try:
        followers.wait()
    except KeyboardInterrupt:
        raise CommandFailed(130) from None
    for error in followers.errors:
        ctx.err(describe_error(error))
    return 1 if followers.errors else 0


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
