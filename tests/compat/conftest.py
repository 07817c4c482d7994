"""One wharfd (with busybox imported) shared by the compatibility tests of a module, and
docker-py clients of it: ``api`` (the low-level APIClient) and ``client`` (DockerClient)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import docker
import pytest

from tests.support.daemon_fixtures import wharfd
from tests.support.daemons import DOCKER_CLI, Daemon

__all__ = ["api", "client", "wharfd"]


@pytest.fixture
def api(wharfd: Daemon) -> Iterator[docker.APIClient]:
    low_level = docker.APIClient(base_url=wharfd.host)
    try:
        yield low_level
    finally:
        low_level.close()


@pytest.fixture
def client(wharfd: Daemon) -> Iterator[docker.DockerClient]:
    high_level = docker.DockerClient(base_url=wharfd.host)
    try:
        yield high_level
    finally:
        high_level.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """(The ``compat`` and ``root`` marks come from the top conftest, by directory.)"""
    for item in items:
        if "tests/compat/" in str(item.fspath) and not shutil.which(DOCKER_CLI):
            item.add_marker(pytest.mark.skip(reason="the stock docker CLI is not installed"))
