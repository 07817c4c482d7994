"""Frames, shim.json, timestamps, exit codes."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from wharf.core.timefmt import rfc3339_nano
from wharf.runtime.shim.exits import exit_code_of
from wharf.runtime.shim.protocol import (
    FRAME_EXIT,
    FRAME_STDERR,
    FRAME_STDOUT,
    FrameDecoder,
    ShimConfig,
    encode_frame,
)


def test_frame_header_is_dockers() -> None:
    assert encode_frame(FRAME_STDERR, b"abc") == b"\x02\x00\x00\x00\x00\x00\x00\x03abc"
    assert encode_frame(FRAME_STDOUT, b"x" * 300)[:8] == b"\x01\x00\x00\x00\x00\x00\x01\x2c"


def test_decoder_handles_split_and_joined_frames() -> None:
    data = encode_frame(FRAME_STDOUT, b"hello") + encode_frame(FRAME_EXIT, b"{}")
    data += encode_frame(FRAME_STDERR, b"")
    decoder = FrameDecoder()
    frames = []
    for i in range(len(data)):
        frames += decoder.feed(data[i : i + 1])
    assert frames == [(FRAME_STDOUT, b"hello"), (FRAME_EXIT, b"{}"), (FRAME_STDERR, b"")]
    assert decoder.pending == 0
    assert decoder.feed(data[:5]) == [] and decoder.pending == 5


def test_decoder_rejects_oversized_frame() -> None:
    with pytest.raises(ValueError):
        FrameDecoder().feed(b"\x01\x00\x00\x00\xff\xff\xff\xff")


def test_shim_config_round_trip() -> None:
    config = ShimConfig("id1", Path("/b"), "runc", Path("/r"), True, True, False, Path("/l"), 9)
    assert ShimConfig.from_json(config.to_json()) == config
    minimal = ShimConfig.from_json(
        '{"id": "x", "bundle": "/b", "runtime_root": "/r", "log_path": "/l"}'
    )
    assert minimal.runtime == "runc" and minimal.tty is False and minimal.log_max_size == 0


def test_rfc3339_nano() -> None:
    assert rfc3339_nano(1_700_000_000_123_456_789) == "2023-11-14T22:13:20.123456789Z"
    assert rfc3339_nano(5) == "1970-01-01T00:00:00.000000005Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", rfc3339_nano())


def _status_of(code: str) -> int:
    pid = os.fork()
    if pid == 0:
        if code == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(int(code))
    return os.waitpid(pid, 0)[1]


def test_exit_codes() -> None:
    assert exit_code_of(_status_of("3")) == 3
    assert exit_code_of(_status_of("0")) == 0
    assert exit_code_of(_status_of("kill")) == 137
