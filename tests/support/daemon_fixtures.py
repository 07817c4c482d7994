"""The ``wharfd`` fixture: one real wharfd per test module, busybox imported, swept after."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemons import Daemon, import_busybox, wharfd_running


@pytest.fixture(scope="module")
def wharfd() -> Iterator[Daemon]:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    tmp = Path(tempfile.mkdtemp(prefix="wharf-it-"))
    try:
        with wharfd_running(tmp) as daemon:
            import_busybox(daemon)
            yield daemon
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
