"""One wharfd (with busybox imported) shared by the compatibility tests of a module."""

from __future__ import annotations

import shutil

import pytest

from tests.support.daemon_fixtures import wharfd
from tests.support.daemons import DOCKER_CLI

__all__ = ["wharfd"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """(The ``compat`` and ``root`` marks come from the top conftest, by directory.)"""
    for item in items:
        if "tests/compat/" in str(item.fspath) and not shutil.which(DOCKER_CLI):
            item.add_marker(pytest.mark.skip(reason="the stock docker CLI is not installed"))
