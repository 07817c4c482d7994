"""Compose's progress lines on stderr: ``[+] Stopping 2/2`` then `` ✔ Container p-web-1  Stopped``
on a terminal, each event as it happens (`` Container p-web-1  Stopping``) when plain."""

from __future__ import annotations

import threading
import time

from wharf.cli.command import Context
from wharf.cli.commands.compose_common import options

DONE_MARK, ERROR_MARK = "✔", "✘"
BLUE, RED, RESET = "\x1b[34m", "\x1b[31m", "\x1b[0m"
CLEAR_LINE = "\x1b[K"


def progress_mode(ctx: Context) -> str:
    """``tty``, ``plain`` or ``quiet`` from ``--progress`` (``auto``: tty when stderr is one)."""
    chosen = str(getattr(options(ctx), "progress", "auto") or "auto")
    if chosen in ("tty", "plain", "quiet"):
        return chosen
    return "tty" if _isatty(ctx.stderr) else "plain"


def use_colour(ctx: Context, stream: object) -> bool:
    """``--ansi always``/``never``, else colour only on a terminal."""
    ansi = options(ctx).ansi
    if ansi == "always":
        return True
    if ansi == "never":
        return False
    return _isatty(stream)


def _columns(stream: object) -> int:
    """The terminal's width (80 when it cannot be told)."""
    import os

    try:
        return os.get_terminal_size(stream.fileno()).columns  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return 80


def _isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream
        return False


class Progress:
    """The events of one operation over a set of containers (thread safe)."""

    def __init__(self, ctx: Context, title: str, mode: str | None = None) -> None:
        self.ctx = ctx
        self.title = title
        self.mode = mode or progress_mode(ctx)
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

    def finish(self) -> None:
        """On a terminal, the block drawn a last time (the times of the finished ones)."""
        if self.mode != "tty" or not self._order:
            return
        with self._lock:
            self._draw()

    def _draw(self) -> None:
        """The title with counts and a line per container, over the block drawn before
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


def progress_name(container_name: str) -> str:
    """How compose names a container in its events."""
    return f"Container {container_name}"
