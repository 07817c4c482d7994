"""``wharf build`` on a terminal: the compact view of :class:`BuildSteps`, drawn with rich.

Finished steps stay on the screen as one line each (``[2/5] RUN make   3.1s``); the running
step shows a spinner, its time so far and its last lines of output (dim). Lines outside the
steps (``Successfully built``, ``Successfully tagged``) are printed as they are. When the build
fails, the failing step's output is printed whole (the last ``KEPT_LINES`` lines) before the
error. Imported only when stdout is a terminal.
"""

from __future__ import annotations

import io
import time

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from wharf.cli.build_view import BuildSteps, Step

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO

REFRESH_INTERVAL = 0.1


class CompactBuildView:
    def __init__(self, out: BinaryIO, console: Console | None = None) -> None:
        self._text = io.TextIOWrapper(out, encoding="utf-8", errors="replace",  # type: ignore[type-var]
                                      write_through=True)
        self.console = console or Console(file=self._text, force_terminal=True,
                                          highlight=False)
        self.steps = BuildSteps()
        self._printed_steps = 0
        self._printed_notes = 0
        self._spinner = Spinner("dots", style="cyan")
        # refreshed by rich's own thread too, so a silent step's time and spinner still move
        self._live = Live(_Running(self), console=self.console, auto_refresh=True,
                          refresh_per_second=1 / REFRESH_INTERVAL, transient=True,
                          redirect_stdout=False, redirect_stderr=False)
        self._live.start()

    def show(self, message: dict[str, Any]) -> None:
        self.steps.feed(message)
        self._flush_finished()

    def _flush_finished(self) -> None:
        """Print what will not change any more above the live part."""
        steps = self.steps.steps
        while self._printed_steps < len(steps) and steps[self._printed_steps].ended is not None:
            self._live.console.print(_step_line(steps[self._printed_steps], time.monotonic()))
            self._printed_steps += 1
        for note in self.steps.notes[self._printed_notes:]:
            self._live.console.print(Text(note))
        self._printed_notes = len(self.steps.notes)

    def running(self) -> RenderableType:
        current = self.steps.current
        if current is None:
            return Text("")
        head = Table.grid(padding=(0, 1))
        head.add_row(self._spinner, _step_line(current, time.monotonic()))
        tail = [Text("    " + line, style="dim", overflow="ellipsis", no_wrap=True)
                for line in self.steps.tail()]
        return Group(head, *tail)

    def fail(self) -> None:
        """The build failed: show the failing step's whole output."""
        current = self.steps.current
        if current is not None:
            self._live.console.print(_step_line(current, time.monotonic(), failed=True))
            for line in current.output:
                self._live.console.print(Text("    " + line))
            current.ended = time.monotonic()
            self._printed_steps = len(self.steps.steps)

    def close(self) -> None:
        self.steps.finish()
        self._flush_finished()
        self._live.stop()
        self._text.flush()
        self._text.detach()  # the command's stream stays open


class _Running:
    """The live part, drawn afresh at each refresh."""

    def __init__(self, view: CompactBuildView) -> None:
        self._view = view

    def __rich__(self) -> RenderableType:
        return self._view.running()


def _step_line(step: Step, now: float, failed: bool = False) -> Text:
    text = Text(f"[{step.number}/{step.total}] ", style="bold")
    text.append(step.instruction)
    if failed:
        text.append("  failed", style="red")
    elif step.ended is not None:
        text.append(f"  {step.outcome(now)}", style="green" if step.cached else "blue")
    else:
        text.append(f"  {step.outcome(now)}", style="dim")
    return text
