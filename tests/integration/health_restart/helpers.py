"""Polling and event helpers of the restart and health tests (bounded in time and count)."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from tests.support.daemons import VENV_BIN, Daemon


def wharf(daemon: Daemon, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """The wharf CLI against ``daemon``."""
    res = subprocess.run([str(VENV_BIN / "wharf"), *args], env=daemon.docker_env(),
                         capture_output=True, text=True, timeout=60)
    if check and res.returncode != 0:
        raise AssertionError(f"wharf {' '.join(args)} -> {res.returncode}: {res.stderr}\n"
                             f"{daemon.log_tail()}")
    return res


def inspect(daemon: Daemon, ref: str) -> dict[str, Any]:
    data = daemon.json("GET", f"/containers/{ref}/json")
    assert isinstance(data, dict)
    return data


def wait_until(what: Callable[[], Any], timeout: float = 15.0, step: float = 0.05) -> Any:
    """``what()`` once truthy (polled every ``step`` seconds, at most ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting; last value {value!r}")
        time.sleep(step)


def events(daemon: Daemon, container_id: str, since: float) -> list[tuple[str, dict[str, str]]]:
    """(action, attributes) of the container's events since ``since``, in order."""
    filters = urllib.parse.quote(json.dumps({"container": [container_id]}))
    status, body = daemon.request(
        "GET", f"/events?since={since:.3f}&until={time.time() + 0.5:.3f}&filters={filters}")
    assert status == 200, body
    found = []
    for line in body.decode().splitlines():
        if line.strip():
            event = json.loads(line)
            found.append((event["Action"], event["Actor"]["Attributes"]))
    return found


def actions(daemon: Daemon, container_id: str, since: float) -> list[str]:
    return [action for action, _ in events(daemon, container_id, since)
            if not action.startswith("exec_")]
