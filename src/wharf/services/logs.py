"""Reading a container's json-file log (Docker's format, written by the shim), in bounded memory.

The log is ``<log>`` plus the files rotation left (``<log>.1`` newest ... ``<log>.N`` oldest).
Every file is opened once at the start, so a rotation meanwhile does not move what is read.
Lines are streamed in chunks of ``CHUNK`` bytes; ``--tail N`` walks backwards from the end in
blocks of that size until N selected lines are found, then streams forward from there. So a
reader holds a few chunks at most whatever the size of the log (a line of the log is at most
``MAX_ENTRY`` bytes: the shim cuts container output at 16 KiB). ``--follow`` polls the live
file; when the shim rotates it (the name points at a new inode), the old file is read to its
end and the reader moves on to the new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from wharf.core.logopts import rotated_log_path
from wharf.core.timefmt import parse_rfc3339

STDOUT, STDERR = 1, 2
FOLLOW_POLL_SECONDS = 0.05
CHUNK = 64 * 1024
MAX_ENTRY = 1024 * 1024  # longer "lines" are not the shim's: dropped
MAX_ROTATED = 1000  # log files looked for beyond the live one


@dataclass(frozen=True)
class LogOptions:
    stdout: bool = True
    stderr: bool = True
    follow: bool = False
    tail: int | None = None  # None: all lines
    since: float = 0.0  # seconds since the epoch; 0: from the start
    until: float = 0.0  # 0: no end
    timestamps: bool = False


@dataclass(frozen=True)
class LogLine:
    stream: int  # STDOUT or STDERR
    data: bytes


def _decode(raw: bytes, options: LogOptions) -> LogLine | None:
    try:
        entry = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(entry, dict):
        return None
    stream = STDERR if entry.get("stream") == "stderr" else STDOUT
    if (stream == STDOUT and not options.stdout) or (stream == STDERR and not options.stderr):
        return None
    stamp = str(entry.get("time", ""))
    if options.since or options.until:
        moment = parse_rfc3339(stamp)
        if options.since and moment < options.since:
            return None
        if options.until and moment > options.until:
            return None
    data = str(entry.get("log", "")).encode()
    if options.timestamps:
        data = stamp.encode() + b" " + data
    return LogLine(stream, data)


def open_log_files(path: Path) -> list[BinaryIO]:
    """The log's files, oldest first, each opened (a rotation cannot move them any more)."""
    handles: list[BinaryIO] = []
    for n in range(MAX_ROTATED, -1, -1):
        with contextlib.suppress(FileNotFoundError):
            handles.append(rotated_log_path(path, n).open("rb"))
    return handles


def lines_backwards(handle: BinaryIO, end: int) -> Iterator[tuple[int, bytes]]:
    """The complete lines of ``handle`` before ``end``, last first, with their offsets (an
    unfinished last line is skipped). Reads ``CHUNK`` bytes at a time."""
    pos, carry, started = end, b"", False
    while pos > 0:
        step = min(CHUNK, pos)
        pos -= step
        handle.seek(pos)
        data = handle.read(step) + carry
        cut = len(data)
        while (newline := data.rfind(b"\n", 0, cut)) >= 0:
            if started:
                yield pos + newline + 1, data[newline + 1 : cut]
            started, cut = True, newline
        carry = data[:cut] if cut <= MAX_ENTRY else b""
    if started and carry:
        yield 0, carry


def tail_start(handles: list[BinaryIO], count: int, options: LogOptions) -> tuple[int, int]:
    """Where the last ``count`` selected lines begin: (index in ``handles``, offset)."""
    if count <= 0:
        last = len(handles) - 1
        return last, os.fstat(handles[last].fileno()).st_size
    for index in range(len(handles) - 1, -1, -1):
        handle = handles[index]
        for offset, raw in lines_backwards(handle, os.fstat(handle.fileno()).st_size):
            if _decode(raw, options) is not None:
                count -= 1
                if count == 0:
                    return index, offset
    return 0, 0


class LogReader:
    """Reads the selected lines of a log, one chunk per :meth:`read_batch` (blocking I/O: call
    it in a worker thread)."""

    def __init__(self, path: Path, options: LogOptions) -> None:
        self._path = path
        self._options = options
        self._handles = open_log_files(path)
        self._index = 0
        self._pending = b""
        if self._handles and options.tail is not None and options.tail >= 0:
            self._index, offset = tail_start(self._handles, options.tail, options)
            self._handles[self._index].seek(offset)
        elif self._handles:
            self._handles[0].seek(0)

    def read_batch(self) -> list[LogLine] | None:
        """The selected lines of the next chunk; None once the live file's end is reached."""
        if not self._handles:
            self._reopen_live()
            return [] if self._handles else None
        handle = self._handles[self._index]
        data = handle.read(CHUNK)
        if not data:
            if self._index + 1 < len(self._handles):  # the next (newer) file
                self._index, self._pending = self._index + 1, b""
                self._handles[self._index].seek(0)
                return []
            if self._options.follow and self._rotated():
                self._reopen_live()  # the old file was complete once renamed, and read
                return []
            return None
        return self._lines(data)

    def _lines(self, data: bytes) -> list[LogLine]:
        *complete, self._pending = (self._pending + data).split(b"\n")
        if len(self._pending) > MAX_ENTRY:
            self._pending = b""
        return [line for raw in complete if (line := _decode(raw, self._options))]

    def _rotated(self) -> bool:
        try:
            now = os.stat(self._path)
        except FileNotFoundError:
            return False  # between the shim's rename and its new file
        current = os.fstat(self._handles[-1].fileno())
        return (now.st_ino, now.st_dev) != (current.st_ino, current.st_dev)

    def _reopen_live(self) -> None:
        try:
            handle = self._path.open("rb")
        except FileNotFoundError:
            return
        self.close()
        self._handles, self._index, self._pending = [handle], 0, b""

    def close(self) -> None:
        for handle in self._handles:
            handle.close()
        self._handles = []


class LogStream:
    """The selected lines of an opened log; with ``follow``, then new ones until the container
    stops. Its files are open from :func:`open_log` on: a removal of the container meanwhile
    (docker-py reads ``run``'s output after removing the container) does not empty it."""

    def __init__(self, reader: LogReader, options: LogOptions,
                 running: Callable[[], bool]) -> None:
        self._reader = reader
        self._options = options
        self._running = running

    def __aiter__(self) -> AsyncIterator[LogLine]:
        return self._lines()

    async def _lines(self) -> AsyncIterator[LogLine]:
        while True:
            still_running = self._running()
            batch = await asyncio.to_thread(self._reader.read_batch)
            if batch is None:
                if not (self._options.follow and still_running):
                    return
                await asyncio.sleep(FOLLOW_POLL_SECONDS)
                continue
            for line in batch:
                yield line

    def close(self) -> None:
        self._reader.close()


async def open_log(path: Path, options: LogOptions, running: Callable[[], bool]) -> LogStream:
    """Open the log's files now (before answering the request); read them by iterating."""
    return LogStream(await asyncio.to_thread(LogReader, path, options), options, running)


async def read_log(
    path: Path,
    options: LogOptions,
    running: Callable[[], bool],
) -> AsyncIterator[LogLine]:
    """The selected lines; with ``follow``, then new ones until the container stops."""
    stream = await open_log(path, options, running)
    try:
        async for line in stream:
            yield line
    finally:
        stream.close()
