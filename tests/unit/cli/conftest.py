from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
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
def wharf(engine: Any, tmp_path: Path) -> Callable[..., Result]:
    """Run the CLI in-process against the fake engine: ``wharf("ps", "-a")``. The client
    config (credentials) is a fresh directory unless ``env`` names one: never the user's."""

    def run(*argv: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> Result:
        out, err = io.BytesIO(), io.BytesIO()
        environment = {"WHARF_HOST": engine.address,
                       "DOCKER_CONFIG": str(tmp_path / "docker-config"), **(env or {})}
        status = main(list(argv), environment, io.BytesIO(stdin), out, err)
        return Result(status, out.getvalue().decode(), err.getvalue().decode(),
                      out.getvalue())

    return run
