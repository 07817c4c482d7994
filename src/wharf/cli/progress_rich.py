"""Progress on a terminal: one line per layer (``id``), updated in place, with a rich bar.

Imported only when the output is a terminal (rich costs start-up time). Lines keep the order
in which their ids first appeared, as docker's do; messages without an id are lines of their
own at the place they arrived. The display is redrawn at most ten times a second, and once
more at the end, so the final state stays on the screen.
"""

from __future__ import annotations

import io
import time

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from wharf.cli.formatting import human_size
from wharf.cli.progress import has_progress

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO

REFRESH_INTERVAL = 0.1
BAR_WIDTH = 50
MIN_BAR_WIDTH = 10
NUMBERS_WIDTH = 19  # "999.9MB/999.9MB" and a margin


class LayerLine:
    """The latest state of one id's line."""

    __slots__ = ("current", "status", "total")

    def __init__(self) -> None:
        self.status = ""
        self.current = 0
        self.total = 0

    def update(self, message: dict[str, Any]) -> None:
        self.status = str(message.get("status") or "")
        detail = message.get("progressDetail") if has_progress(message) else None
        if isinstance(detail, dict):
            self.current = int(detail.get("current") or 0)
            self.total = int(detail.get("total") or 0)
        else:
            self.current = self.total = 0

    def numbers(self) -> str:
        if self.total <= 0:
            return human_size(float(self.current), 4)
        return f"{human_size(float(self.current), 4)}/{human_size(float(self.total), 4)}"


class RichDisplay:
    """Renders messages to a terminal with rich's live display."""

    def __init__(self, out: BinaryIO, console: Console | None = None) -> None:
        self._text = io.TextIOWrapper(out, encoding="utf-8", errors="replace",  # type: ignore[type-var]
                                      write_through=True)
        self.console = console or Console(file=self._text, force_terminal=True,
                                          highlight=False)
        self._rows: list[tuple[bool, str]] = []  # (is a layer line, its id or its text)
        self._layers: dict[str, LayerLine] = {}
        self._live = Live(console=self.console, auto_refresh=False, transient=False,
                          vertical_overflow="visible", redirect_stdout=False,
                          redirect_stderr=False)  # no thread; sys.stdout left alone
        self._live.start()
        self._last = 0.0

    def show(self, message: dict[str, Any]) -> None:
        identifier = message.get("id")
        if identifier:
            line = self._layers.get(str(identifier))
            if line is None:
                line = self._layers[str(identifier)] = LayerLine()
                self._rows.append((True, str(identifier)))
            line.update(message)
        elif message.get("stream"):
            self._rows.append((False, str(message["stream"]).rstrip("\n")))
        else:
            self._rows.append((False, str(message.get("status") or "")))
        self._refresh(force=not identifier)

    def _refresh(self, force: bool) -> None:
        now = time.monotonic()
        if force or now - self._last >= REFRESH_INTERVAL:
            self._live.update(self.renderable(), refresh=True)
            self._last = now

    def renderable(self) -> RenderableType:
        parts: list[RenderableType] = []
        grid: Table | None = None
        for is_layer, row in self._rows:
            if not is_layer:
                parts.append(Text(row))
                grid = None
                continue
            if grid is None:
                grid = Table.grid(padding=(0, 1))
                grid.add_column(no_wrap=True, min_width=self._label_width())
                grid.add_column(no_wrap=True)
                grid.add_column(no_wrap=True)
                parts.append(grid)
            grid.add_row(*self._layer_cells(row))
        return Group(*parts)

    def _label_width(self) -> int:
        return max((len(f"{key}: {line.status}") for key, line in self._layers.items()),
                   default=0)

    def _bar_width(self) -> int:
        """Docker's bar is 50 wide; narrower when the terminal is."""
        room = self.console.width - self._label_width() - NUMBERS_WIDTH - 2
        return max(MIN_BAR_WIDTH, min(BAR_WIDTH, room))

    def _layer_cells(self, identifier: str) -> tuple[RenderableType, ...]:
        line = self._layers[identifier]
        label = Text(f"{identifier}: {line.status}")
        if line.current <= 0 and line.total <= 0:
            return label, Text(""), Text("")
        bar = ProgressBar(total=line.total or None, completed=line.current,
                          width=self._bar_width())
        return label, bar, Text(line.numbers())

    def close(self) -> None:
        self._live.update(self.renderable(), refresh=True)
        self._live.stop()
        self._text.flush()
        self._text.detach()  # the command's stream stays open
