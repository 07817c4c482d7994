"""Docker's output shapes: human sizes and durations, tab-aligned tables, ``--format`` handling.

``render`` implements docker's formatter contract: ``table`` (the default table), ``table TMPL``
(a header row then aligned rows), ``json`` (one JSON object per line), or any Go template applied
to each row. Literal ``\\t``/``\\n`` in a format are turned into tab/newline as docker does.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from wharf.cli.template import Template
from wharf.core.units import SIZE_UNITS as SIZE_UNITS  # part of this module's API
from wharf.core.units import human_duration as human_duration
from wharf.core.units import human_size as human_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MIN_WIDTH, PADDING = 10, 3   # docker: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)


def since(timestamp: float, now: float | None = None) -> str:
    """``"2 minutes ago"`` for a Unix timestamp."""
    now = time.time() if now is None else now
    return human_duration(max(now - timestamp, 0)) + " ago"


def go_time(timestamp: float) -> str:
    """Go's ``time.Time.String()`` in local time: ``2006-01-02 15:04:05 -0700 MST``."""
    local = time.localtime(timestamp)
    return time.strftime("%Y-%m-%d %H:%M:%S %z %Z", local)


def truncate_id(identifier: str) -> str:
    """Docker's short id: without the ``sha256:`` prefix, 12 hex digits."""
    if ":" in identifier:
        identifier = identifier.split(":", 1)[1]
    return identifier[:12]


def ellipsis(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` characters, the last one being ``…``."""
    if len(text) <= width:
        return text
    return text[:width - 1] + "…" if width > 1 else text[:width]


def align(lines: Sequence[str], min_width: int = MIN_WIDTH) -> list[str]:
    """Align tab-separated cells like Go's tabwriter (min width 10, padding 3, spaces)."""
    split = [line.split("\t") for line in lines]
    widths: list[int] = []
    for cells in split:
        for column, cell in enumerate(cells[:-1]):
            needed = max(len(cell) + PADDING, min_width)
            if column < len(widths):
                widths[column] = max(widths[column], needed)
            else:
                widths.append(needed)
    aligned = []
    for cells in split:
        padded = [cell.ljust(widths[column]) for column, cell in enumerate(cells[:-1])]
        aligned.append("".join(padded) + cells[-1])
    return aligned


def normalize_format(text: str) -> str:
    return text.replace("\\t", "\t").replace("\\n", "\n")


def render(format_text: str, default_table: str, rows: Sequence[Any],
           headers: dict[str, str]) -> list[str]:
    """Lines to print for ``rows`` under a docker ``--format`` value ("" = default table)."""
    format_text = format_text or "table"
    if format_text == "json":
        format_text = "{{json .}}"
    elif format_text == "table":
        format_text = default_table
    is_table = format_text.startswith("table")
    body = normalize_format(format_text[len("table"):].strip() if is_table else format_text)
    template = Template(body)
    rendered = [template.execute(row) for row in rows]
    if not is_table:
        return [line for text in rendered for line in _lines_of(text)]
    header = template.execute(headers)
    return align([line for text in [header, *rendered] for line in _lines_of(text)])


def _lines_of(text: str) -> list[str]:
    """One row's output as lines (a row may be empty, as docker prints an empty line)."""
    return text.split("\n") if text else [""]
