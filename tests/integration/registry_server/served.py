"""``python -m wharf.registry.server`` run as its own process on 127.0.0.1 (a free port it picks
itself) with a temp root, stopped with SIGTERM (then SIGKILL) whatever the test did."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0
_LISTENING_RE = re.compile(r"listening on http://(127\.0\.0\.1:\d+)")


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    addr: str
    root: Path
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM, then SIGKILL after STOP_TIMEOUT; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)
        return self.process.returncode


@contextlib.contextmanager
def serve(root: Path, log: Path, htpasswd: Path | None = None) -> Iterator[Served]:
    """A running registry on ``root``; the log (one line per request) goes to ``log``."""
    command = [sys.executable, "-m", "wharf.registry.server", "--addr", "127.0.0.1:0"]
    command += ["--root", str(root)]
    if htpasswd is not None:
        command += ["--htpasswd", str(htpasswd)]
    with log.open("ab") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=sink, stdin=subprocess.DEVNULL)
    served = Served(process, "", root, log)
    try:
        served.addr = _wait_listening(served)
        yield served
    finally:
        served.stop()


def _wait_listening(served: Served) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        match = _LISTENING_RE.search(served.log_text())
        if match:
            return match[1]
        if served.process.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"registry did not start: {served.log_text()[-2000:]}")


def skopeo(home: Path, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run skopeo with an empty auth file of its own under ``home`` (never the host's
    credentials) and ``--insecure-policy`` (no host signature policy)."""
    auth = home / "skopeo-auth.json"
    if not auth.exists():
        home.mkdir(parents=True, exist_ok=True)
        auth.write_text('{"auths": {}}')
    env = {**os.environ, "REGISTRY_AUTH_FILE": str(auth)}
    return subprocess.run(
        ["skopeo", "--insecure-policy", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
