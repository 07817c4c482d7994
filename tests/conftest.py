"""Session-wide hygiene.

The tests' container cgroups live under parents named ``wharf`` and ``wharf-test``; once the
session is over, those parents are removed where they are empty (an rmdir of a cgroup that still
has children or processes fails, so a real wharfd's are never touched). Then the host is
compared with how it was before the run: a network link, mount or cgroup that a test left
behind, or took away from the host, fails the run (``tests.support.hostcheck``); set
``WHARF_HOST_CHECK=0`` only while several test sessions run side by side on one host.

Marks: ``root`` and ``compat``, set and enforced by ``tests.support.marks`` (read it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import hostcheck, marks
from tests.support.daemons import new_parent_cgroups_removed


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects on the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    marks.apply_marks(items, Path(__file__).parent, is_root=os.geteuid() == 0)


@pytest.fixture(scope="session", autouse=True)
def host_left_as_found() -> Iterator[None]:
    checked = os.environ.get("WHARF_HOST_CHECK") != "0"  # off: sessions side by side
    before = hostcheck.snapshot() if checked else None
    with new_parent_cgroups_removed():
        yield
    if before is None:
        return
    left = hostcheck.changes(before, hostcheck.snapshot())
    assert not left, "the tests changed the host:\n  " + "\n  ".join(left)
