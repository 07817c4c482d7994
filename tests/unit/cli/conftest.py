from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from tests.support.engine_fixtures import engine, fake

from wharf.cli.main import main

__all__ = ["engine", "fake", "wharf"]


@dataclass
class Result:
    status: int
    stdout: str
    stderr: str
    raw_stdout: bytes


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
