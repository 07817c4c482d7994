"""The wharf CLI against a test daemon, and containers removed after each test."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.daemons import Daemon

WHARF = str(Path(sys.executable).parent / "wharf")


def wharf(daemon: Daemon, *args: str, stdin: bytes | None = None, check: bool = True,
          timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    res = subprocess.run([WHARF, *args], env=daemon.docker_env(), input=stdin,
                         capture_output=True, timeout=timeout)
    if check and res.returncode != 0:
        raise AssertionError(f"wharf {' '.join(args)} -> {res.returncode}\n"
                             f"stdout: {res.stdout!r}\nstderr: {res.stderr!r}\n"
                             f"daemon log:\n{daemon.log_tail()}")
    return res


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@contextmanager
def containers(daemon: Daemon) -> Iterator[list[str]]:
    """Names the test appends are force-removed at the end, even when it fails."""
    made: list[str] = []
    try:
        yield made
    finally:
        for name in made:
            wharf(daemon, "rm", "-f", name, check=False)
