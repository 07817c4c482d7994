"""Compose's progress on stderr, as docker compose v2 draws it: on a terminal a block redrawn
in place (``[+] Running 3/3`` then `` ✔ Container p-web-1  Started  0.3s``), otherwise a plain
line per event (`` Container p-web-1  Started``); ``--progress quiet`` shows nothing. The one
writer of every compose subcommand (up, down, run, build, start, stop, rm, ...)."""

from __future__ import annotations

import threading
import time

from wharf.cli.command import CommandFailed, Context
from wharf.cli.commands.compose_common import options
from wharf.cli.session import is_terminal

MODES = ("auto", "tty", "plain", "quiet")
DONE_MARK, ERROR_MARK = "✔", "✘"
BLUE, RED, RESET = "\x1b[34m", "\x1b[31m", "\x1b[0m"
CLEAR_LINE = "\x1b[K"


def progress_mode(ctx: Context) -> str:
    """``tty``, ``plain`` or ``quiet`` from ``--progress``; ``auto`` follows ``--ansi``
    (``never``: plain, ``always``: tty), else tty when stderr is a terminal."""
    opts = options(ctx)
    chosen = opts.progress or "auto"
    if chosen not in MODES:
        raise CommandFailed(1, f"unsupported --progress value {chosen!r}: "
                               '"auto", "tty", "plain" or "quiet"')
    if chosen != "auto":
        return chosen
    if opts.ansi in ("never", "always"):
        return "plain" if opts.ansi == "never" else "tty"
    return "tty" if is_terminal(ctx.stderr) else "plain"


def use_colour(ctx: Context, stream: object) -> bool:
    """``--ansi always``/``never``, else colour only on a terminal."""
    ansi = options(ctx).ansi
    if ansi in ("always", "never"):
        return ansi == "always"
    return is_terminal(stream)


def _columns(stream: object) -> int:
    """The terminal's width (80 when it cannot be told)."""
    import os

    try:
        return os.get_terminal_size(stream.fileno()).columns  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return 80


def progress_name(container_name: str) -> str:
    """How compose names a container in its events."""
    return f"Container {container_name}"


class Progress:
    """The events of one command, each keyed by what it is about (``Container p-web-1``,
    ``Network p_default``, ``Image p-web``); thread safe."""

    def __init__(self, ctx: Context, title: str = "Running", mode: str | None = None) -> None:
        self.ctx = ctx
        self.title = title
        self.mode = mode or progress_mode(ctx)
        self.quiet = self.mode == "quiet"
        self.colour = self.mode == "tty" and use_colour(ctx, ctx.stderr)
        self._lock = threading.Lock()
        self._order: list[str] = []
        self._state: dict[str, tuple[str, str, float, float]] = {}  # id: kind, text, t0, t1
        self._drawn = 0  # lines of the block on the terminal
        self._columns = _columns(ctx.stderr)

    def working(self, ident: str, text: str) -> None:
        self._event(ident, "working", text)

    def done(self, ident: str, text: str) -> None:
        self._event(ident, "done", text)

    def error(self, ident: str, text: str = "Error") -> None:
        self._event(ident, "error", text)

    def warn(self, text: str) -> None:
        """A warning line, below the block drawn so far (shown even with quiet progress)."""
        self.finish()
        self.ctx.err(f"WARN[0000] {text}")

    def finish(self) -> None:
        """On a terminal, the block drawn a last time (the times of the finished ones); what
        comes next starts a new block, below whatever else is written in between (build or
        pull output, logs, warnings)."""
        with self._lock:
            if self.mode == "tty" and self._order:
                self._draw()
            self._order, self._state, self._drawn = [], {}, 0

    def _event(self, ident: str, kind: str, text: str) -> None:
        now = time.monotonic()
        with self._lock:
            if ident not in self._state:
                self._order.append(ident)
                start = now
            else:
                start = self._state[ident][2]
            self._state[ident] = (kind, text, start, now)
            if self.mode == "plain":
                self.ctx.err(f" {ident}  {text}")
            elif self.mode == "tty":
                self._draw()

    def _draw(self) -> None:
        """The title with counts and a line per event, over the block drawn before
        (with ``self._lock`` held)."""
        finished = sum(1 for s in self._state.values() if s[0] == "done")
        lines = [f"[+] {self.title} {finished}/{len(self._order)}"[:self._columns - 1]]
        width = max(len(ident) for ident in self._order)
        lines += [self._line(ident, width) for ident in self._order]
        up = f"\x1b[{self._drawn}A\r" if self._drawn else ""
        self.ctx.err(up + "\n".join(line + CLEAR_LINE for line in lines))
        self._drawn = len(lines)

    def _line(self, ident: str, width: int) -> str:
        kind, text, start, end = self._state[ident]
        if kind == "working":
            end = time.monotonic()
        mark = ERROR_MARK if kind == "error" else DONE_MARK if kind == "done" else " "
        line = f" {mark} {ident.ljust(width)}  {text.ljust(8)} {end - start:5.1f}s"
        line = line[:self._columns - 1]  # a wrapped line would spoil the redrawing
        if not self.colour or kind == "working":
            return line
        return f"{RED if kind == 'error' else BLUE}{line}{RESET}"
