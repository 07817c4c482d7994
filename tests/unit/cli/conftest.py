from __future__ import annotations

import importlib.util
import io
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from wharf.cli.main import main


def load_fake_engine() -> Any:
    """The shared fake Engine API module (tests/unit/client/fake_engine.py)."""
    name = "wharf_tests_fake_engine"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[1] / "client" / "fake_engine.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Result:
    status: int
    stdout: str
    stderr: str
    raw_stdout: bytes


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


@pytest.fixture
def wharf(engine: Any) -> Callable[..., Result]:
    """Run the CLI in-process against the fake engine: ``wharf("ps", "-a")``."""

    def run(*argv: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> Result:
        out, err = io.BytesIO(), io.BytesIO()
        environment = {"WHARF_HOST": engine.address, **(env or {})}
        status = main(list(argv), environment, io.BytesIO(stdin), out, err)
        return Result(status, out.getvalue().decode(), err.getvalue().decode(),
                      out.getvalue())

    return run
