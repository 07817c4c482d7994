"""Input sent on an attach made before ``start`` reaches the process (docker run -i's order)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.unit.shim.test_shim_fake_runtime import Box, collect, launched, run, runtime_binary

__all__ = ["runtime_binary"]  # the fixture, shared with the fake-runtime tests


def test_stdin_and_eof_sent_before_start_are_delivered(tmp_path: Path, runtime_binary: str) -> None:
    box = Box(tmp_path, runtime_binary, ["cat"], open_stdin=True, stdin_once=True)

    async def scenario() -> None:
        client = await launched(box)
        stream = await client.attach(stdin=True, stdout=True, stderr=False)
        await stream.write(b"early\n")
        await stream.close_stdin()
        await asyncio.sleep(0.05)  # the shim has read both before the start
        await client.start()
        assert await collect(stream) == (b"early\n", b"", 0)

    run(scenario())


def test_eof_alone_before_start_closes_stdin(tmp_path: Path, runtime_binary: str) -> None:
    box = Box(tmp_path, runtime_binary, ["sh", "-c", "cat; echo done"], open_stdin=True,
              stdin_once=True)

    async def scenario() -> None:
        client = await launched(box)
        stream = await client.attach(stdin=True, stdout=True, stderr=False)
        await stream.close_stdin()
        await asyncio.sleep(0.05)
        await client.start()
        assert await collect(stream) == (b"done\n", b"", 0)

    run(scenario())
