"""Docker's JSON progress messages (pull, push), shaped as moby's stream formatter makes them.

One message per line on the API stream. Clients parse the exact status texts (the docker CLI
renders a line per ``id``; docker-java fails on unknown ones), so the texts here are Docker's:
``Pulling fs layer``, ``Waiting``, ``Downloading``, ``Verifying Checksum``, ``Download
complete``, ``Extracting``, ``Pull complete``, ``Already exists``; for push ``Preparing``,
``Waiting``, ``Pushing``, ``Pushed``, ``Layer already exists``, ``Mounted from <repo>``.

Key order follows moby's ``JSONMessage``: status, progressDetail, progress, id, ..., error, aux.
A status with a byte count carries ``progressDetail`` ``{"current", "total"}`` and the
``progress`` bar moby draws for a 200-column terminal (``[==>   ] 1.2MB/3.4MB``); a layer
status without one carries an empty ``progressDetail``; a plain message (``Pulling from``,
``Digest:``) carries none.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from wharf.core.units import human_size

__all__ = [
    "Message",
    "ProgressSink",
    "ThrottledProgress",
    "error_message",
    "layer_status",
    "plain_message",
    "progress_bar",
]

Message = dict[str, Any]
ProgressSink = Callable[[Message], None]
"""Receives each message; may be called from worker threads."""

_UPDATE_BYTES = 512 * 1024  # moby's progress reader reports every 512 KiB
_UPDATE_SECONDS = 0.1


def progress_bar(current: int, total: int) -> str:
    """moby's ``JSONProgress.String()`` on a wide terminal (the daemon's view: no time left,
    since pull and push progress carry no start time)."""
    if current <= 0 and total <= 0:
        return ""
    if total <= 0:
        return f"{human_size(current, 4):>8}"
    filled = min(int(current / total * 100) // 2, 50)
    box = f"[{'=' * filled}>{' ' * (50 - filled)}] "
    if current > total:
        return box + f"{human_size(current, 4):>8}"
    return box + f"{human_size(current, 4):>8}/{human_size(total, 4)}"


def plain_message(status: str, id_: str | None = None) -> Message:
    """``{"status": ..., "id": ...}`` (moby's ``progress.Message``)."""
    return {"status": status} if id_ is None else {"status": status, "id": id_}


def layer_status(id_: str, status: str, current: int | None = None,
                 total: int | None = None) -> Message:
    """A per-layer status (moby's ``progress.Update``), with byte counts when given."""
    if current is None:
        return {"status": status, "progressDetail": {}, "id": id_}
    detail: dict[str, int] = {}
    if current:
        detail["current"] = current
    if total:
        detail["total"] = total
    message: Message = {"status": status, "progressDetail": detail}
    bar = progress_bar(current, total or 0)
    if bar:
        message["progress"] = bar
    message["id"] = id_
    return message


def error_message(text: str) -> Message:
    return {"errorDetail": {"message": text}, "error": text}


class ThrottledProgress:
    """Byte counts of one layer's transfer, sent as ``status`` messages at most every 512 KiB
    or 100 ms, and always at the end."""

    def __init__(self, sink: ProgressSink, id_: str, status: str, total: int) -> None:
        self._sink = sink
        self._id = id_
        self._status = status
        self._total = total
        self._sent_bytes = -1
        self._sent_at = 0.0
        self._lock = threading.Lock()

    def update(self, current: int) -> None:
        with self._lock:
            now = time.monotonic()
            done = current >= self._total > 0
            if not done and (current - self._sent_bytes < _UPDATE_BYTES
                             or now - self._sent_at < _UPDATE_SECONDS):
                return
            if current == self._sent_bytes:
                return
            self._sent_bytes, self._sent_at = current, now
        self._sink(layer_status(self._id, self._status, current, self._total))
