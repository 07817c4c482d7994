"""A real wharfd (subprocess, temp data root and socket) with busybox imported, and a CNCF
registry for the pull/push tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.support.daemon_fixtures import wharfd
from tests.support.registries import cncf_registry
from tests.support.scratch import scratch_dir

__all__ = ["wharfd"]


@pytest.fixture(scope="module")
def registry() -> Iterator[str]:
    """A CNCF registry (no auth) for the module's tests; yields ``127.0.0.1:PORT``."""
    with scratch_dir("wharf-reg-") as tmp, cncf_registry(tmp) as running:
        yield running.host
