"""Run a command on a pseudo-terminal of the test's own and type into it, as a user at a
terminal would (``docker run -it``, ``docker attach``): keys go in after a pause each, the
output and exit status come back. The process (its own session) is killed if it outlives
the timeout."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Typed:
    after: float  # seconds of output read before these keys are typed
    keys: bytes


@dataclass(frozen=True)
class PtyResult:
    returncode: int | None  # None: killed at the timeout
    output: bytes


def run_on_pty(argv: Sequence[str], typing: Sequence[Typed], env: Mapping[str, str],
               timeout: float = 30.0) -> PtyResult:
    master, slave = pty.openpty()
    proc = subprocess.Popen(list(argv), stdin=slave, stdout=slave, stderr=slave, env=dict(env),
                            start_new_session=True)
    os.close(slave)
    output = bytearray()
    try:
        for step in typing:
            _read_for(master, step.after, output)
            os.write(master, step.keys)
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline:
            _read_for(master, 0.1, output)
        _read_for(master, 0.2, output)
        return PtyResult(proc.poll(), bytes(output))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        os.close(master)


def _read_for(master: int, seconds: float, into: bytearray) -> None:
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([master], [], [], left)
        if not readable:
            return
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            return
        if not data:
            return
        into += data
