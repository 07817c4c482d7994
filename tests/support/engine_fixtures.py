"""pytest fixtures around the in-process fake Engine API (``tests/support/fake_engine.py``)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.support import fake_engine


@pytest.fixture
def fake() -> ModuleType:
    return fake_engine


@pytest.fixture
def engine() -> Iterator[fake_engine.FakeEngine]:
    directory = Path(tempfile.mkdtemp(prefix="wharf-fake-", dir="/tmp"))
    server = fake_engine.FakeEngine(directory / "api.sock")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
