"""Docker's json-file log: one JSON object per line of container output.

``{"log": "text\\n", "stream": "stdout", "time": "<RFC3339Nano UTC>"}``. Output is split at
newlines (the newline stays in ``log``); a line longer than ``MAX_LINE`` is written in pieces
without a newline, as Docker's log copier does, and whatever is left at end of stream is flushed
as is. With ``max_size`` > 0 the file is rotated when a write would take it past that size, as
Docker's json-file does: ``<path>.N-2`` → ``<path>.N-1`` ... ``<path>`` → ``<path>.1``, so at
most ``max_files`` files exist, the oldest with the highest number; with one file the log
starts over. Readers follow by name and notice the rotation by the inode.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Final

from wharf.core.logopts import rotated_log_path
from wharf.core.timefmt import rfc3339_nano

__all__ = ["MAX_LINE", "JsonLogWriter", "encode_entry"]

MAX_LINE: Final = 16 * 1024


_encode_text = json.encoder.encode_basestring  # JSON string literal, non-ASCII kept


def _entries(lines: list[bytes], stream: str, time: str) -> bytes:
    suffix = f',"stream":"{stream}","time":"{time}"}}\n'
    text = "".join(
        ['{"log":' + _encode_text(line.decode("utf-8", "replace")) + suffix for line in lines]
    )
    return text.encode()


def encode_entry(data: bytes, stream: str, time: str) -> bytes:
    """One log line (with its trailing newline)."""
    return _entries([data], stream, time)


def _cut(line: bytes, size: int) -> list[bytes]:
    return [line[i : i + size] for i in range(0, len(line), size)] or [b""]


class JsonLogWriter:
    """Appends the output of the streams of one container to its json-file log."""

    def __init__(self, path: Path, max_size: int = 0, max_files: int = 1) -> None:
        self._path = path
        self._max_size = max_size
        self._max_files = max(1, max_files)
        self._partial: dict[str, bytearray] = {}
        self._fd = self._open()
        self._size = os.fstat(self._fd).st_size

    def _open(self) -> int:
        return os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o640)

    def write(self, stream: str, data: bytes) -> None:
        """Log ``data`` read from ``stream`` ("stdout"/"stderr") now."""
        buffer = self._partial.setdefault(stream, bytearray())
        buffer += data
        end = buffer.rfind(b"\n") + 1
        lines: list[bytes] = []
        if end:
            for line in bytes(buffer[:end]).split(b"\n")[:-1]:
                if len(line) < MAX_LINE:
                    lines.append(line + b"\n")
                else:  # written in pieces, the last one with the newline
                    *pieces, last = _cut(line + b"\n", MAX_LINE)
                    lines += pieces
                    if last:
                        lines.append(last)
            del buffer[:end]
        while len(buffer) >= MAX_LINE:
            lines.append(bytes(buffer[:MAX_LINE]))
            del buffer[:MAX_LINE]
        if lines:
            self._append(_entries(lines, stream, rfc3339_nano()))

    def flush(self, stream: str) -> None:
        """End of ``stream``: write what is left of its last line."""
        buffer = self._partial.pop(stream, None)
        if buffer:
            self._append(encode_entry(bytes(buffer), stream, rfc3339_nano()))

    def close(self) -> None:
        for stream in list(self._partial):
            self.flush(stream)
        os.close(self._fd)

    def _append(self, data: bytes) -> None:
        """Append whole entries; with rotation on, a file is rotated before the entry that
        would take it past ``max_size`` (so no file passes it, unless by one long entry)."""
        if not data:
            return
        if self._max_size <= 0 or self._size + len(data) <= self._max_size:
            self._write(data)
            return
        start = 0
        while start < len(data):
            room = max(self._max_size - self._size, 0)
            end = data.rfind(b"\n", start, start + room) + 1  # the entries that fit
            if end <= start:
                if self._size > 0:
                    self._rotate()
                    continue
                end = data.index(b"\n", start) + 1  # one entry longer than max_size
            self._write(data[start:end])
            start = end

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        self._size += len(data)

    def _rotate(self) -> None:
        os.close(self._fd)
        if self._max_files == 1:
            os.unlink(self._path)
        else:
            for n in range(self._max_files - 1, 1, -1):
                older = rotated_log_path(self._path, n - 1)
                if older.exists():
                    os.replace(older, rotated_log_path(self._path, n))
            os.replace(self._path, rotated_log_path(self._path, 1))
        self._fd = self._open()
        self._size = 0

