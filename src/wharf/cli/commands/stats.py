"""``wharf stats``: docker's table of CPU, memory, network, block I/O and pids per container.

``--no-stream`` asks every container for one sample at once (``stream=false``: the daemon waits
a second so the CPU delta is real) and prints one table; otherwise each container streams a
sample a second and the table is redrawn each second until interrupted. Without names, the
running containers (all with ``-a``) at the start are shown."""

from __future__ import annotations

import threading
import time
from typing import Any

from wharf.cli.command import Command, CommandFailed, Context, describe_error
from wharf.cli.commands.common import FORMAT_FLAG, MAX_PARALLEL
from wharf.cli.flags import BOOL, Flag, Parsed
from wharf.core.errors import WharfError

CLEAR_SCREEN = "\033[2J\033[H"
REDRAW_SECONDS = 1.0
FIRST_SAMPLE_TIMEOUT = 2.0  # as docker's CLI: a container silent this long shows "--"


def stats(ctx: Context, opts: Parsed) -> int:
    client = ctx.client()
    refs = list(opts.args)
    if not refs:
        listed = client.containers.list(all_=bool(opts["all"]))
        refs = [truncated(str(item["Id"])) for item in listed]
    if opts["no-stream"]:
        return _print_once(ctx, opts, refs)
    return _stream(ctx, opts, refs)


def truncated(identifier: str) -> str:
    return identifier[:12]


def _fetch_all(ctx: Context, refs: list[str]) -> list[dict[str, Any] | WharfError]:
    def fetch(ref: str) -> dict[str, Any] | WharfError:
        try:
            return ctx.client().containers.stats(ref)
        except WharfError as exc:
            return exc

    if len(refs) < 2:
        return [fetch(ref) for ref in refs]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(len(refs), MAX_PARALLEL)) as pool:
        return list(pool.map(fetch, refs))


def _print_once(ctx: Context, opts: Parsed, refs: list[str]) -> int:
    from wharf.cli.commands.stats_rows import StatsRow

    results = _fetch_all(ctx, refs)
    errors = [describe_error(r) for r in results if isinstance(r, WharfError)]
    if errors and opts.args:
        raise CommandFailed(1, "\n".join(errors))
    rows = [StatsRow(ref, None if isinstance(r, WharfError) else r,
                     trunc=not opts["no-trunc"]) for ref, r in zip(refs, results, strict=True)]
    _print_table(ctx, opts, rows)
    return 0


def _print_table(ctx: Context, opts: Parsed, rows: list[Any]) -> None:
    from wharf.cli.commands.stats_rows import STATS_HEADERS, STATS_TABLE
    from wharf.cli.formatting import render

    for line in render(str(opts["format"]), STATS_TABLE, rows, STATS_HEADERS):
        ctx.out(line)


def _stream(ctx: Context, opts: Parsed, refs: list[str]) -> int:
    """Follow each container in a thread; redraw every second. Without names the list is
    taken again each second (new containers join, removed ones leave), as docker's events do;
    with names, a container whose first sample fails ends the command with its error."""
    from wharf.cli.commands.stats_rows import StatsRow

    board = _Board(ctx)
    listing = not opts.args
    for ref in refs:
        board.follow(ref)
    if not listing:
        board.wait_first(refs)
        errors = [board.failed[ref] for ref in refs if ref in board.failed]
        if errors:
            raise CommandFailed(1, "\n".join(errors))
    try:
        while True:
            time.sleep(REDRAW_SECONDS)
            if listing:
                refs = [truncated(str(item["Id"]))
                        for item in ctx.client().containers.list(all_=bool(opts["all"]))]
                for ref in refs:
                    board.follow(ref)
            rows = [StatsRow(ref, board.latest.get(ref), trunc=not opts["no-trunc"],
                             error=ref in board.failed) for ref in refs
                    if ref in board.latest or ref in board.failed]
            ctx.out(CLEAR_SCREEN, end="")
            _print_table(ctx, opts, rows)
            ctx.stdout.flush()
    except KeyboardInterrupt:
        return 0


class _Board:
    """The latest sample (or the error) of each followed container."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self.latest: dict[str, Any] = {}
        self.failed: dict[str, str] = {}
        self._followed: set[str] = set()

    def follow(self, ref: str) -> None:
        if ref not in self._followed:
            self._followed.add(ref)
            threading.Thread(target=self._read, args=(ref,), daemon=True).start()

    def _read(self, ref: str) -> None:
        try:
            for sample in self._ctx.client().containers.stats_stream(ref):
                self.latest[ref] = sample
        except WharfError as exc:
            self.failed[ref] = describe_error(exc)

    def wait_first(self, refs: list[str], timeout: float = FIRST_SAMPLE_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and \
                any(ref not in self.latest and ref not in self.failed for ref in refs):
            time.sleep(0.02)


STATS = Command(
    "[OPTIONS] [CONTAINER...]", "Display a live stream of container(s) resource usage "
    "statistics", stats,
    flags=(
        Flag("all", "a", BOOL, "Show all containers (default shows just running)"),
        FORMAT_FLAG,
        Flag("no-stream", "", BOOL, "Disable streaming stats and only pull the first result"),
        Flag("no-trunc", "", BOOL, "Do not truncate output"),
    ),
)
