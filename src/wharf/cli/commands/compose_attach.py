"""Attached ``up`` (no ``-d``): start the project, follow every container's output with a
``name  | `` prefix until all have exited or Ctrl-C, then stop them, as docker compose does."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from wharf.cli.command import Context

if TYPE_CHECKING:
    from collections.abc import Iterable

    from wharf.cli.commands.compose_up import UpOptions
    from wharf.client.api import Client


class _Printer:
    """Whole lines from every container, prefixed, written under one lock."""

    def __init__(self, ctx: Context, width: int) -> None:
        self.ctx = ctx
        self.width = width
        self.lock = threading.Lock()

    def line(self, name: str, text: str, prefixed: bool = True) -> None:
        with self.lock:
            self.ctx.out(f"{name.ljust(self.width)}| {text}" if prefixed else text)
            self.ctx.stdout.flush()


def _lines(pieces: Iterable[bytes], tty: bool) -> Iterable[str]:
    from wharf.client.streams import demux

    payloads = (p for p in pieces) if tty else (data for _, data in demux(pieces))
    pending = b""
    for data in payloads:
        pending += data
        *whole, pending = pending.split(b"\n")
        for line in whole:
            yield line.rstrip(b"\r").decode("utf-8", "replace")
    if pending:
        yield pending.decode("utf-8", "replace")


def _follow(client: Client, cid: str, name: str, printer: _Printer) -> None:
    from wharf.core.errors import WharfError

    try:
        tty = bool((client.containers.inspect(cid).get("Config") or {}).get("Tty"))
        for text in _lines(client.containers.logs(cid, follow=True), tty):
            printer.line(name, text)
        code = client.containers.wait(cid).get("StatusCode", 0)
        printer.line(name, f"{name} exited with code {code}", prefixed=False)
    except (WharfError, OSError):
        pass
    finally:
        client.close()


def attached_up(ctx: Context, o: UpOptions) -> int:
    from wharf.cli.commands.compose_output import Progress
    from wharf.cli.commands.compose_up import run_up
    from wharf.cli.commands.run import side_client

    started = run_up(ctx, o)
    width = max((len(n) for _, n in started), default=0) + 2
    printer = _Printer(ctx, width)
    threads = [threading.Thread(target=_follow, args=(side_client(ctx.client()), cid, name,
                                                      printer), daemon=True)
               for cid, name in started]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.5)
    except KeyboardInterrupt:
        ctx.err("Gracefully stopping... (press Ctrl+C again to force)")
        progress = Progress(ctx)
        for cid, name in reversed(started):
            ctx.client().containers.stop(cid, o.timeout)
            progress.done("Container", name, "Stopped")
        return 130
    return 0
