"""A real wharfd per module with busybox imported, and compose projects that are brought down
(containers, networks, volumes, by label) after each test even when it fails."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.support.daemon_fixtures import wharfd
from tests.support.daemons import Daemon

__all__ = ["ComposeProject", "free_port", "wharfd"]

WHARF = str(Path(sys.executable).parent / "wharf")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ComposeProject:
    daemon: Daemon
    directory: Path
    name: str = field(default_factory=lambda: f"wtc{os.getpid() % 10000}{uuid.uuid4().hex[:6]}")

    def write(self, text: str, file: str = "compose.yaml") -> Path:
        path = self.directory / file
        path.write_text(text)
        return path

    def compose(self, *args: str, check: bool = True,
                file: str = "compose.yaml") -> subprocess.CompletedProcess[str]:
        argv = [WHARF, "compose", "-p", self.name, "-f", str(self.directory / file), *args]
        res = subprocess.run(argv, env=self.daemon.docker_env(), capture_output=True,
                             text=True, timeout=120, cwd=self.directory)
        if check and res.returncode != 0:
            raise AssertionError(f"{' '.join(args)} -> {res.returncode}\nstdout: {res.stdout}"
                                 f"\nstderr: {res.stderr}\nlog:\n{self.daemon.log_tail()}")
        return res

    def labelled(self, kind: str) -> list[dict[str, object]]:
        """The daemon's containers/networks/volumes with this project's label."""
        query = json.dumps({"label": [f"com.docker.compose.project={self.name}"]})
        path = {"containers": "/containers/json?all=1&filters=",
                "networks": "/networks?filters=", "volumes": "/volumes?filters="}[kind]
        from urllib.parse import quote

        found: Any = self.daemon.json("GET", path + quote(query))
        items: list[dict[str, object]] = (found["Volumes"] or []) if kind == "volumes" else found
        return list(items)

    def cleanup(self) -> None:
        subprocess.run([WHARF, "compose", "-p", self.name, "down", "-v", "-t", "1"],
                       env=self.daemon.docker_env(), capture_output=True, timeout=120,
                       cwd=self.directory)


@pytest.fixture
def project(wharfd: Daemon, tmp_path: Path) -> Iterator[ComposeProject]:
    made = ComposeProject(wharfd, tmp_path)
    try:
        yield made
    finally:
        made.cleanup()
