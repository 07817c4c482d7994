"""A real wharfd (subprocess, temp data root and socket) with busybox imported, and a CNCF
registry for the pull/push tests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.daemon_fixtures import wharfd
from tests.support.registries import cncf_registry

__all__ = ["wharfd"]


@pytest.fixture(scope="module")
def registry() -> Iterator[str]:
    """A CNCF registry (no auth) for the module's tests; yields ``127.0.0.1:PORT``."""
    tmp = Path(tempfile.mkdtemp(prefix="wharf-reg-"))
    try:
        with cncf_registry(tmp) as running:
            yield running.host
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
