"""What ``wharf build`` shows of the daemon's messages.

Off a terminal: exactly what the daemon sent (``Step 1/4 : FROM x``, ``---> Using cache``, the
RUN's output...), as ``docker build`` prints the classic builder's stream. On a terminal: a
compact view (``build_rich``, importing rich only then) fed by :class:`BuildSteps`, which
follows the stream: one line per step with its outcome (cached, or how long it ran), the
running step's last lines of output under it, and the step's whole output kept (bounded) so a
failure can show it.
"""

from __future__ import annotations

import re
import time
from collections import deque

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
KEPT_LINES = 200   # of a step's output, for showing a failure
TAIL_LINES = 6     # of the running step's output, under its line


class Step:
    """One ``Step N/M : X`` and what became of it."""

    __slots__ = ("cached", "ended", "instruction", "number", "output", "started", "total")

    def __init__(self, number: int, total: int, instruction: str, now: float) -> None:
        self.number = number
        self.total = total
        self.instruction = instruction
        self.started = now
        self.ended: float | None = None
        self.cached = False
        self.output: deque[str] = deque(maxlen=KEPT_LINES)

    def outcome(self, now: float) -> str:
        if self.cached:
            return "cached"
        return f"{(self.ended or now) - self.started:.1f}s"


class BuildSteps:
    """The stream's state: steps, and the lines that belong to no step."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self.steps: list[Step] = []
        self.notes: list[str] = []  # "Successfully built ...", warnings, ...
        self._partial = ""

    @property
    def current(self) -> Step | None:
        step = self.steps[-1] if self.steps else None
        return step if step is not None and step.ended is None else None

    def feed(self, message: dict[str, Any]) -> None:
        if message.get("stream"):
            text = self._partial + str(message["stream"])
            *lines, self._partial = text.split("\n")
            for line in lines:
                self._line(line.rstrip("\r"))
        elif message.get("status"):  # pull progress of a FROM image
            label = f"{message['id']}: " if message.get("id") else ""
            self._output(f"{label}{message['status']} {message.get('progress', '')}".rstrip())

    def finish(self) -> None:
        if self._partial:
            self._line(self._partial)
            self._partial = ""
        self._end_step()

    def _line(self, line: str) -> None:
        match = STEP.match(line)
        if match:
            self._end_step()
            self.steps.append(Step(int(match[1]), int(match[2]), match[3], self._clock()))
            return
        current = self.current
        if line == " ---> Using cache" and current is not None:
            current.cached = True
        elif line.startswith(" ---> Running in ") or line.startswith("Removing intermediate"):
            return
        elif line.startswith(" ---> ") and current is not None:
            self._end_step()
        elif current is not None:
            current.output.append(line)
        elif line.strip():
            self.notes.append(line)

    def _output(self, line: str) -> None:
        current = self.current
        if current is not None:
            current.output.append(line)

    def _end_step(self) -> None:
        current = self.current
        if current is not None:
            current.ended = self._clock()

    def tail(self) -> list[str]:
        current = self.current
        return list(current.output)[-TAIL_LINES:] if current is not None else []
