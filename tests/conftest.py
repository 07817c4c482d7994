"""Session-wide hygiene: the tests' container cgroups live under parents named ``wharf`` and
``wharf-test``; once the session is over, remove those parents where they are empty (an rmdir
of a cgroup that still has children or processes fails, so a real wharfd's are never touched)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

CGROUP_ROOT = Path("/sys/fs/cgroup")
TEST_PARENTS = ("wharf", "wharf-test")


def remove_empty_parent_cgroups() -> None:
    for name in TEST_PARENTS:
        for parent in [*CGROUP_ROOT.glob(f"*/{name}"), CGROUP_ROOT / name]:
            with contextlib.suppress(OSError):
                parent.rmdir()


@pytest.fixture(scope="session", autouse=True)
def empty_cgroup_parents_removed() -> Iterator[None]:
    yield
    remove_empty_parent_cgroups()
