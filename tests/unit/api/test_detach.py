"""The daemon's detach-key watch on a TTY session's input."""

from __future__ import annotations

import asyncio

import pytest
from tests.unit.services.fakes import FakeStream

from wharf.api.detach import DetachableStream, detach_keys, watched
from wharf.core.errors import InvalidParameter


def test_the_sequence_ends_the_output_and_keeps_stdin_open() -> None:
    async def scenario() -> None:
        inner, detaches = FakeStream(), []
        stream = DetachableStream(inner, b"\x10\x11", lambda: detaches.append(1))
        inner.frames.put_nowait((1, b"out"))
        assert await stream.read_frame() == (1, b"out")
        reader = asyncio.ensure_future(stream.read_frame())  # waits for more output
        await stream.write(b"ab\x10")
        await stream.write(b"\x11cd")
        assert await asyncio.wait_for(reader, 1) is None
        assert bytes(inner.stdin) == b"ab" and detaches == [1]
        await stream.close_stdin()
        assert not inner.stdin_closed.is_set()
        stream.close()

    asyncio.run(scenario())


def test_held_bytes_reach_the_process_before_its_stdin_closes() -> None:
    async def scenario() -> None:
        inner = FakeStream()
        stream = DetachableStream(inner, b"\x10\x11")
        await stream.write(b"x\x10")
        assert bytes(inner.stdin) == b"x"
        await stream.close_stdin()
        assert bytes(inner.stdin) == b"x\x10" and inner.stdin_closed.is_set()

    asyncio.run(scenario())


def test_only_tty_sessions_with_stdin_are_watched() -> None:
    inner = FakeStream()
    assert watched(inner, b"\x10\x11", tty=False, stdin=True) is inner
    assert watched(inner, b"\x10\x11", tty=True, stdin=False) is inner
    assert isinstance(watched(inner, b"\x10\x11", tty=True, stdin=True), DetachableStream)


def test_specs() -> None:
    assert detach_keys("") == b"\x10\x11"
    with pytest.raises(InvalidParameter, match=r"Invalid detach keys \(ctrl-1\) provided"):
        detach_keys("ctrl-1")
