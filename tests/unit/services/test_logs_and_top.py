"""json-file log reading and ps parsing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from wharf.services.logs import STDERR, STDOUT, LogOptions, read_log
from wharf.services.top import parse_ps


def _write(path: Path, *entries: tuple[str, str, str]) -> None:
    with path.open("a") as handle:
        for text, stream, stamp in entries:
            handle.write(json.dumps({"log": text, "stream": stream, "time": stamp}) + "\n")


def _collect(path: Path, options: LogOptions, running: list[bool]) -> list[tuple[int, bytes]]:
    async def scenario() -> list[tuple[int, bytes]]:
        return [(line.stream, line.data) async for line in
                read_log(path, options, lambda: running[0])]
    return asyncio.run(scenario())


def test_streams_tail_since_until(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    _write(log, ("a\n", "stdout", "2024-01-01T00:00:01.000000000Z"),
           ("b\n", "stderr", "2024-01-01T00:00:02.000000000Z"),
           ("c\n", "stdout", "2024-01-01T00:00:03.000000000Z"))
    assert _collect(log, LogOptions(), [False]) == [
        (STDOUT, b"a\n"), (STDERR, b"b\n"), (STDOUT, b"c\n")]
    assert _collect(log, LogOptions(stderr=False), [False]) == [(STDOUT, b"a\n"), (STDOUT, b"c\n")]
    assert _collect(log, LogOptions(tail=1), [False]) == [(STDOUT, b"c\n")]
    assert _collect(log, LogOptions(tail=0), [False]) == []
    since = 1704067202.0  # 00:00:02
    assert _collect(log, LogOptions(since=since, until=since + 0.5), [False]) == [
        (STDERR, b"b\n")]
    stamped = _collect(log, LogOptions(tail=1, timestamps=True), [False])
    assert stamped == [(STDOUT, b"2024-01-01T00:00:03.000000000Z c\n")]


def test_follow_ends_when_the_container_stops(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    _write(log, ("first\n", "stdout", "2024-01-01T00:00:01Z"))
    running = [True]

    async def scenario() -> list[bytes]:
        seen: list[bytes] = []

        async def consume() -> None:
            async for line in read_log(log, LogOptions(follow=True), lambda: running[0]):
                seen.append(line.data)

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.1)
        _write(log, ("second\n", "stdout", "2024-01-01T00:00:02Z"))
        running[0] = False
        await asyncio.wait_for(task, 2)
        return seen

    assert asyncio.run(scenario()) == [b"first\n", b"second\n"]


def test_parse_ps_keeps_the_containers_pids() -> None:
    output = ("UID PID PPID C STIME TTY TIME CMD\n"
              "root 10 1 0 10:00 ? 00:00:00 sh -c echo hi; sleep 5\n"
              "root 11 10 0 10:00 ? 00:00:00 sleep 5\n"
              "root 99 1 0 10:00 ? 00:00:00 other\n")
    top = parse_ps(output, {10, 11})
    assert top["Titles"][1] == "PID"
    assert [row[1] for row in top["Processes"]] == ["10", "11"]
    assert top["Processes"][0][-1] == "sh -c echo hi; sleep 5"
