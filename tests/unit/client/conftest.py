from __future__ import annotations

import importlib.util
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def load_fake_engine() -> Any:
    """The shared fake Engine API module (tests/unit/client/fake_engine.py)."""
    name = "wharf_tests_fake_engine"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parent / "fake_engine.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fake() -> Any:
    return load_fake_engine()


@pytest.fixture
def engine() -> Iterator[Any]:
    directory = Path(tempfile.mkdtemp(prefix="wharf-fake-", dir="/tmp"))
    server = load_fake_engine().FakeEngine(directory / "api.sock")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
