"""The shim fork server dies with the daemon that started it, even one that died while the
server was still starting (before it could ask the kernel for a parent-death signal)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from wharf.core.shimconfig import SHIM_SERVER_PARENT_ENV


def _start_server(tmp_path: Path, parent: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "wharf.runtime.shim_forkserver", str(tmp_path / "server.sock")],
        env={**os.environ, SHIM_SERVER_PARENT_ENV: str(parent)},
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


def test_a_server_whose_daemon_is_gone_exits(tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()  # a pid that is no longer the parent of anything
    server = _start_server(tmp_path, gone.pid)
    try:
        assert server.wait(timeout=30) == 0
        assert not (tmp_path / "server.sock").exists()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_a_server_whose_daemon_lives_serves(tmp_path: Path) -> None:
    server = _start_server(tmp_path, os.getpid())
    try:
        deadline = 300
        while not (tmp_path / "server.sock").exists() and deadline:
            assert server.poll() is None, "the server exited although its parent lives"
            deadline -= 1
            time.sleep(0.1)
        assert (tmp_path / "server.sock").exists()
    finally:
        server.kill()
        server.wait()
