"""One wharfd (with busybox imported) shared by the compatibility tests of a module."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemons import DOCKER_CLI, Daemon, import_busybox, wharfd_running


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/compat/" in str(item.fspath):
            item.add_marker(pytest.mark.compat)


@pytest.fixture(scope="module")
def wharfd() -> Iterator[Daemon]:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    if not shutil.which(DOCKER_CLI):
        pytest.skip("the stock docker CLI is not installed")
    tmp = Path(tempfile.mkdtemp(prefix="wharf-compat-"))
    try:
        with wharfd_running(tmp) as daemon:
            import_busybox(daemon)
            yield daemon
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
