"""wharf's own registry (``python -m wharf.registry.server``) for the client's tests."""

from __future__ import annotations

import contextlib
import importlib.util
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import bcrypt
from tests.integration.registry_client.cncf import PASSWORD, STOP_TIMEOUT, USER, free_port

START_TIMEOUT = 20.0


def server_available() -> bool:
    return importlib.util.find_spec("wharf.registry.server.__main__") is not None


def _wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"wharf registry exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("wharf registry did not start in time")


@contextlib.contextmanager
def start_wharf_registry(directory: Path, *, htpasswd: bool = False) -> Iterator[str]:
    """Run wharf's registry on a free port with a temporary root; yields ``127.0.0.1:port``."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "wharf.registry.server",
        "--addr",
        f"127.0.0.1:{port}",
        "--root",
        str(directory / "root"),
    ]
    if htpasswd:
        hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=5)).decode()
        (directory / "htpasswd").write_text(f"{USER}:{hashed}\n")
        command += ["--htpasswd", str(directory / "htpasswd")]
    log = (directory / "server.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=log)
    try:
        _wait_ready(port, process)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
        log.close()
