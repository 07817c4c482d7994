from __future__ import annotations

import io
import os
import signal
import time
from typing import Any

import pytest

from wharf.cli.session import StreamSession, proxy_signals, read_chunks
from wharf.client.streams import StreamError, encode_frame


class FakeStream:
    """The client side of a hijacked connection, without a socket."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = list(pieces)
        self.sent: list[bytes] = []
        self.write_closed = False

    def send(self, data: bytes) -> None:
        self.sent.append(data)

    def close_write(self) -> None:
        self.write_closed = True

    def read_some(self) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""


def test_output_is_demultiplexed_and_stdin_half_closed_when_absent() -> None:
    data = encode_frame(1, b"out") + encode_frame(2, b"err")
    stream = FakeStream([data[:5], data[5:]])
    out, err = io.BytesIO(), io.BytesIO()
    StreamSession(stream, False, None, out, err).run()  # type: ignore[arg-type]
    assert (out.getvalue(), err.getvalue()) == (b"out", b"err")
    assert stream.write_closed


def test_tty_output_is_raw() -> None:
    stream = FakeStream([b"\x01\x00raw bytes"])
    out = io.BytesIO()
    StreamSession(stream, True, None, out, io.BytesIO()).run()  # type: ignore[arg-type]
    assert out.getvalue() == b"\x01\x00raw bytes"


def test_system_error_frame_raises() -> None:
    stream = FakeStream([encode_frame(3, b"container died")])
    with pytest.raises(StreamError, match="container died"):
        StreamSession(stream, False, None, io.BytesIO(), io.BytesIO()).run()  # type: ignore[arg-type]


def test_read_chunks_from_pipe_and_memory() -> None:
    assert list(read_chunks(io.BytesIO(b"abc"))) == [b"abc"]
    read_end, write_end = os.pipe()
    os.write(write_end, b"piped")
    os.close(write_end)
    with open(read_end, "rb", buffering=0) as handle:
        assert b"".join(read_chunks(handle)) == b"piped"


def test_signals_are_forwarded_then_handlers_restored() -> None:
    forwarded: list[str] = []
    before = signal.getsignal(signal.SIGUSR1)
    with proxy_signals(forwarded.append, enabled=True):
        os.kill(os.getpid(), signal.SIGUSR1)
        for _ in range(100):  # the forward runs on a short-lived thread
            if forwarded:
                break
            time.sleep(0.01)
    assert forwarded == ["SIGUSR1"]
    assert signal.getsignal(signal.SIGUSR1) == before


def test_disabled_proxy_installs_nothing() -> None:
    before: Any = signal.getsignal(signal.SIGTERM)
    with proxy_signals(lambda name: None, enabled=False):
        assert signal.getsignal(signal.SIGTERM) == before
