"""JSON-line messages between the runtime and the processes it forks (over a socketpair).

Child → parent: ``{"type": "pid", "pid": N}`` (from the intermediate process),
``{"type": "created"}`` (init is ready and waits for start), ``{"type": "error", "message"}``.
Parent → child: ``{"type": "continue"}`` (hooks done, go on with the rootfs).
"""

from __future__ import annotations

import json
import os
import select
import time
from dataclasses import dataclass, field
from typing import Any

MAX_MESSAGE = 1 << 20
DEFAULT_TIMEOUT = 60.0


class SyncError(OSError):
    """The other side went away or sent garbage."""


@dataclass
class SyncChannel:
    """One end of the socketpair, as a raw fd (usable in a freshly forked child)."""

    fd: int
    _buffer: bytes = field(default=b"")

    def send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode() + b"\n"
        while data:
            written = os.write(self.fd, data)
            data = data[written:]

    def receive(self, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any] | None:
        """The next message, or None at EOF; ``SyncError`` on timeout or a bad message."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SyncError("timed out waiting for the container process")
            readable, _, _ = select.select([self.fd], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return None
            self._buffer += chunk
            if len(self._buffer) > MAX_MESSAGE:
                raise SyncError("message from the container process too large")
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            message = json.loads(line)
        except ValueError as exc:
            raise SyncError(f"bad message from the container process: {line[:100]!r}") from exc
        if not isinstance(message, dict):
            raise SyncError("bad message from the container process")
        return message

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            return
