"""The json-file log reader: across rotated files, tail from the end, follow through a rotation,
and memory bounded whatever the size of the log."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
import tracemalloc
from pathlib import Path

from wharf.runtime.shim.jsonlog import JsonLogWriter
from wharf.services.logs import LogOptions, open_log, read_log

STAMP = "2024-01-01T00:00:00.000000000Z"


def entry(text: str, stream: str = "stdout") -> bytes:
    return (json.dumps({"log": text, "stream": stream, "time": STAMP}) + "\n").encode()


def collect(path: Path, options: LogOptions) -> list[bytes]:
    async def scenario() -> list[bytes]:
        return [line.data async for line in read_log(path, options, lambda: False)]
    return asyncio.run(scenario())


def rotated_log(tmp_path: Path, lines: int) -> Path:
    path = tmp_path / "c-json.log"
    writer = JsonLogWriter(path, max_size=2000, max_files=4)
    for i in range(lines):
        writer.write("stdout", f"line {i:04d}\n".encode())
    writer.close()
    assert (tmp_path / "c-json.log.3").exists()
    return path


def test_reads_the_rotated_files_in_order(tmp_path: Path) -> None:
    path = rotated_log(tmp_path, 200)
    got = collect(path, LogOptions())
    first = int(got[0].split()[1])
    assert got == [f"line {i:04d}\n".encode() for i in range(first, 200)]


def test_tail_reaches_back_across_rotated_files(tmp_path: Path) -> None:
    path = rotated_log(tmp_path, 200)
    live_lines = len(path.read_bytes().splitlines())
    want = live_lines + 5  # the live file and 5 lines of the one before
    assert collect(path, LogOptions(tail=want)) == [
        f"line {i:04d}\n".encode() for i in range(200 - want, 200)]
    assert collect(path, LogOptions(tail=1)) == [b"line 0199\n"]
    everything = collect(path, LogOptions())
    assert collect(path, LogOptions(tail=100000)) == everything


def test_tail_counts_only_the_selected_stream_and_skips_a_partial_line(tmp_path: Path) -> None:
    path = tmp_path / "c-json.log"
    path.write_bytes(entry("o1\n") + entry("e1\n", "stderr") + entry("o2\n") +
                     entry("e2\n", "stderr") + b'{"log":"half')
    assert collect(path, LogOptions(stdout=False, tail=2)) == [b"e1\n", b"e2\n"]
    assert collect(path, LogOptions(tail=1)) == [b"e2\n"]


def test_follow_goes_on_through_a_rotation(tmp_path: Path) -> None:
    path = tmp_path / "c-json.log"
    writer = JsonLogWriter(path, max_size=1000, max_files=2)
    running = [True]

    async def scenario() -> list[bytes]:
        seen: list[bytes] = []

        async def consume() -> None:
            async for line in read_log(path, LogOptions(follow=True), lambda: running[0]):
                seen.append(line.data)

        writer.write("stdout", b"before\n")
        task = asyncio.create_task(consume())
        for i in range(60):  # several rotations while the reader follows
            writer.write("stdout", f"n{i}\n".encode())
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.2)
        running[0] = False
        await asyncio.wait_for(task, 5)
        return seen

    seen = asyncio.run(scenario())
    writer.close()
    assert seen == [b"before\n", *(f"n{i}\n".encode() for i in range(60))]


def test_tail_of_a_huge_log_reads_only_its_end(tmp_path: Path) -> None:
    path = tmp_path / "c-json.log"
    with path.open("wb") as handle:  # 512 MiB (sparse) of old log, then the last lines
        handle.truncate(512 * 1024 * 1024)
        handle.seek(0, os.SEEK_END)
        handle.write(entry("next to last\n") + entry("last\n"))
    tracemalloc.start()
    try:
        started = time.monotonic()
        assert collect(path, LogOptions(tail=1)) == [b"last\n"]
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, f"tail held {peak} bytes"
    assert elapsed < 5


def test_reading_a_big_log_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "c-json.log"
    line = entry("x" * 200 + "\n")
    count = (32 * 1024 * 1024) // len(line)
    with path.open("wb") as handle:
        for _ in range(count // 1000):
            handle.write(line * 1000)

    async def scenario() -> int:
        seen = 0
        async for _ in read_log(path, LogOptions(), lambda: False):
            seen += 1
        return seen

    tracemalloc.start()
    try:
        assert asyncio.run(scenario()) == count // 1000 * 1000
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"reading held {peak} bytes"  # a quarter of the log


def test_an_opened_log_survives_the_removal_of_its_container(tmp_path: Path) -> None:
    """docker-py's ``run(remove=True)`` removes the container before it reads the logs it
    asked for: what the request opened must still be read."""
    path = tmp_path / "c" / "c-json.log"
    path.parent.mkdir()
    path.write_bytes(entry("hello\n"))

    async def scenario() -> list[bytes]:
        stream = await open_log(path, LogOptions(follow=True), lambda: False)
        try:
            shutil.rmtree(path.parent)  # the container's directory is removed
            return [line.data async for line in stream]
        finally:
            stream.close()

    assert asyncio.run(scenario()) == [b"hello\n"]
