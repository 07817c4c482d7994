"""No shim outlives the test that launched it, even when the test fails mid-scenario (a shim
waiting for a process that never ends would otherwise live on)."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest


def shims_under(directory: Path) -> list[int]:
    marker = str(directory).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmdline = (entry / "cmdline").read_bytes()
            if marker in cmdline and b"wharf.runtime.shim" in cmdline:
                found.append(int(entry.name))
    return found


@pytest.fixture(autouse=True)
def no_shim_outlives_its_test(tmp_path: Path) -> Iterator[None]:
    yield
    for pid in shims_under(tmp_path):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
