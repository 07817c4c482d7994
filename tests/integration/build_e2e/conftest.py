"""The engine under test (one daemon per module and engine, busybox imported) and a sentinel
directory on the host that no build may write into."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.build_e2e.engines import ENGINES, engine_running, tree_digest
from tests.support.daemons import DOCKER_CLI, Daemon
from tests.support.scratch import scratch_dir


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Iterator[Daemon]:
    name = str(request.param)
    if not shutil.which(DOCKER_CLI):
        pytest.skip("the stock docker CLI is not installed")
    if name == "dockerd" and not shutil.which("dockerd"):
        pytest.skip("dockerd is not installed")
    with scratch_dir(f"wharf-e2e-{name}-") as tmp, engine_running(name, tmp) as daemon:
        yield daemon


@pytest.fixture
def sentinel() -> Iterator[Path]:
    """A host directory with one file; the tests aim escaping links and paths at it, and it
    must be as it was when the test ends."""
    with scratch_dir("wharf-e2e-sentinel-") as root:
        (root / "secret").write_text("host secret: must never reach an image\n")
        untouched = tree_digest(root)
        yield root
        assert tree_digest(root) == untouched, sorted(p.name for p in root.iterdir())
