"""Attached ``up`` (no ``-d``): start the project, follow every container's output with a
``web-1  | `` prefix (``compose logs``' printer) until all have exited or Ctrl-C, then stop
them, as docker compose does."""

from __future__ import annotations

import queue
import threading
from typing import TYPE_CHECKING

from wharf.cli.command import Context
from wharf.cli.commands.compose_logs import LinePrinter
from wharf.cli.commands.compose_progress import use_colour

if TYPE_CHECKING:
    from collections.abc import Iterable

    from wharf.cli.commands.compose_up import UpOptions
    from wharf.client.api import Client


def _lines(pieces: Iterable[bytes], tty: bool) -> Iterable[bytes]:
    from wharf.cli.commands.compose_logs import payloads, split_lines

    return (line.rstrip(b"\r") for line in split_lines(payloads(pieces, tty)))


Exited = tuple[str, int]  # (service, exit code); code -1 when the stream failed


def _follow(client: Client, cid: str, name: str, printer: LinePrinter,
            exits: queue.Queue[Exited]) -> None:
    from wharf.compose.labels import SERVICE
    from wharf.core.errors import WharfError

    service, code = "", -1
    try:
        config = client.containers.inspect(cid).get("Config") or {}
        service = str((config.get("Labels") or {}).get(SERVICE, ""))
        for line in _lines(client.containers.logs(cid, follow=True), bool(config.get("Tty"))):
            printer.write(name, [line])
        code = int(client.containers.wait(cid).get("StatusCode", 0))
        printer.write("", [f"{name} exited with code {code}".encode()])
    except (WharfError, OSError):
        pass
    finally:
        client.close()
        exits.put((service, code))


def _stop_all(ctx: Context, started: list[tuple[str, str]], timeout: int | None) -> None:
    from wharf.cli.commands.compose_progress import Progress

    progress = Progress(ctx)
    for cid, name in reversed(started):
        ctx.client().containers.stop(cid, timeout)
        progress.done(f"Container {name}", "Stopped")


def _next(exits: queue.Queue[Exited]) -> Exited:
    while True:  # short waits, so Ctrl-C is seen at once
        try:
            return exits.get(timeout=0.5)
        except queue.Empty:
            continue


def _exit_code_of(ctx: Context, started: list[tuple[str, str]], service: str) -> int:
    from wharf.compose.labels import SERVICE

    for cid, _name in started:
        found = ctx.client().containers.inspect(cid)
        if ((found.get("Config") or {}).get("Labels") or {}).get(SERVICE) == service:
            return int((found.get("State") or {}).get("ExitCode") or 0)
    return 0


def _watch(ctx: Context, started: list[tuple[str, str]], o: UpOptions,
           exits: queue.Queue[Exited]) -> int:
    """Until every container has exited, or the first with ``--abort-on-container-exit``
    (then the others are stopped); the status: 0, the first exit's code when aborting, or the
    ``--exit-code-from`` service's."""
    abort = o.abort_on_exit or bool(o.exit_code_from)
    for _ in started:
        service, code = _next(exits)
        if not abort:
            continue
        ctx.err("Aborting on container exit...")
        _stop_all(ctx, started, o.timeout)
        if o.exit_code_from and service != o.exit_code_from:
            return _exit_code_of(ctx, started, o.exit_code_from)
        return code
    return 0


def attached_up(ctx: Context, o: UpOptions) -> int:
    from wharf.cli.commands.compose_ops_target import resolve
    from wharf.cli.commands.compose_up import run_up
    from wharf.cli.commands.run import side_client

    started = run_up(ctx, o)
    project = resolve(ctx, []).name
    shown = [name.removeprefix(f"{project}-") for _cid, name in started]  # "web-1", as compose
    printer = LinePrinter(ctx.stdout, shown, use_colour(ctx, ctx.stdout), o.log_prefix)
    ctx.out(f"Attaching to {', '.join(shown)}")
    exits: queue.Queue[Exited] = queue.Queue()
    for (cid, _name), short in zip(started, shown, strict=True):
        threading.Thread(target=_follow, daemon=True,
                         args=(side_client(ctx.client()), cid, short, printer, exits)).start()
    try:
        return _watch(ctx, started, o, exits)
    except KeyboardInterrupt:
        ctx.err("Gracefully stopping... (press Ctrl+C again to force)")
        _stop_all(ctx, started, o.timeout)
        return 130
