"""Reading a container's json-file log (Docker's format, written by the shim)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from wharf.core.timefmt import parse_rfc3339

STDOUT, STDERR = 1, 2
FOLLOW_POLL_SECONDS = 0.05


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


def read_existing(path: Path, options: LogOptions) -> tuple[list[LogLine], int]:
    """The selected lines already in the log and the offset where reading stopped."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return [], 0
    end = content.rfind(b"\n") + 1
    lines = [line for raw in content[:end].splitlines() if (line := _decode(raw, options))]
    if options.tail is not None and options.tail >= 0:
        lines = lines[len(lines) - options.tail :] if options.tail else []
    return lines, end


async def follow(
    path: Path,
    offset: int,
    options: LogOptions,
    running: Callable[[], bool],
) -> AsyncIterator[LogLine]:
    """Lines appended after ``offset`` until the container stops (then drain and end)."""
    pending = b""
    while True:
        still_running = running()
        try:
            with path.open("rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
        except FileNotFoundError:
            return
        offset += len(chunk)
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            line = _decode(raw, options)
            if line is not None:
                yield line
        if not still_running:
            return
        await asyncio.sleep(FOLLOW_POLL_SECONDS)


async def read_log(
    path: Path,
    options: LogOptions,
    running: Callable[[], bool],
) -> AsyncIterator[LogLine]:
    lines, offset = await asyncio.to_thread(read_existing, path, options)
    for line in lines:
        yield line
    if options.follow:
        async for line in follow(path, offset, options, running):
            yield line
