"""What the build compatibility tests share: the engine(s) they run against (wharfd, and a
private dockerd too with ``WHARF_COMPAT_DOCKERD=1``) and a unique tag removed after a test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.support.daemons import Daemon, dockerd_with_busybox

__all__ = ["daemon", "engines", "unique_tag"]


def engines() -> list[str]:
    return ["wharfd", "dockerd"] if os.environ.get("WHARF_COMPAT_DOCKERD") == "1" else ["wharfd"]


@pytest.fixture(scope="module", params=engines())
def daemon(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    if request.param == "wharfd":
        yield request.getfixturevalue("wharfd")
        return
    with dockerd_with_busybox(tmp_path_factory.mktemp("dockerd")) as dockerd:
        yield dockerd


@contextmanager
def unique_tag(daemon: Daemon, prefix: str) -> Iterator[str]:
    """``prefix`` plus a random suffix; the images it names are removed (by the docker CLI)
    afterwards."""
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        listed = daemon.docker("images", "-q", name, check=False).stdout.decode().split()
        for image in dict.fromkeys(listed):
            daemon.docker("rmi", "-f", image, check=False)
