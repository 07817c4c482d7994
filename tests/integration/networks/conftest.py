"""A real wharfd per module, and networks made by a test removed after it even when it fails
(their bridges too, should the daemon have left one)."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.daemon_fixtures import wharfd
from tests.support.daemons import Daemon

__all__ = ["NetworkNames", "free_subnet", "wharfd"]


class NetworkNames:
    """Unique network names for one test; each is removed at the end."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.made: list[str] = []

    def new(self, stem: str = "net") -> str:
        name = f"wtn-{stem}-{os.getpid() % 100000}-{uuid.uuid4().hex[:6]}"
        self.made.append(name)
        return name

    def cleanup(self) -> None:
        for name in self.made:
            status, data = self.daemon.request("GET", f"/networks/{name}")
            if status != 200:
                continue
            bridge = f"wbr-{json.loads(data)['Id'][:11]}"
            self.daemon.request("DELETE", f"/networks/{name}")
            if Path(f"/sys/class/net/{bridge}").exists():
                subprocess.run(["ip", "link", "del", bridge], capture_output=True)


@pytest.fixture
def names(wharfd: Daemon) -> Iterator[NetworkNames]:
    made = NetworkNames(wharfd)
    try:
        yield made
    finally:
        made.cleanup()


def free_subnet() -> str:
    """A /24 in 10.212.0.0/16 that no host route uses now."""
    routes = subprocess.run(["ip", "-4", "route", "show"], capture_output=True,
                            text=True).stdout
    start = uuid.uuid4().int % 250
    for offset in range(250):
        third = (start + offset) % 250 + 1
        if f"10.212.{third}." not in routes:
            return f"10.212.{third}.0/24"
    raise RuntimeError("no free /24 in 10.212.0.0/16")
