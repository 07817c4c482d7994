"""save/load between wharfd and a real dockerd (Debian's docker.io), both ways: what dockerd
saves (its pre-25 layout: ``<id>/layer.tar``, ``json``, ``VERSION``) loads into wharfd as the
same image, and what wharfd saves loads into dockerd as the same image."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.daemons import DOCKER_CLI, Daemon, busybox_tar, dockerd_running

pytestmark = [
    pytest.mark.skipif(shutil.which("dockerd") is None, reason="dockerd (docker.io) not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]


@pytest.fixture(scope="module")
def dockerd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    tmp = tmp_path_factory.mktemp("dockerd-archive")
    with dockerd_running(tmp, {}) as daemon:
        daemon.docker("import", "-c", 'CMD ["sh"]', "-", "busybox:latest", stdin=busybox_tar())
        yield daemon


@pytest.fixture
def work() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="wharf-dockerd-archive-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def inspect(daemon: Daemon, ref: str) -> dict[str, object]:
    doc = json.loads(daemon.docker("image", "inspect", ref).stdout)[0]
    assert isinstance(doc, dict)
    return doc


def build_in_dockerd(dockerd: Daemon, work: Path, tag: str) -> None:
    """A three-layer image by the classic builder (its steps are parent images)."""
    context = work / "context"
    context.mkdir()
    (context / "a.txt").write_text("a" * 3000)
    (context / "b.txt").write_text("b")
    (context / "Dockerfile").write_text(
        "FROM busybox:latest\nCOPY a.txt /a.txt\nLABEL stage=test\nCOPY b.txt /b.txt\n"
    )
    env = dict(dockerd.docker_env(), DOCKER_BUILDKIT="0")
    res = subprocess.run([DOCKER_CLI, "build", "-q", "-t", tag, str(context)], env=env,
                         capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr.decode()


def test_dockerd_save_loads_into_wharfd(dockerd: Daemon, wharfd: Daemon, work: Path) -> None:
    build_in_dockerd(dockerd, work, "built:1")
    saved = work / "built.tar"
    dockerd.docker("save", "-o", str(saved), "built:1")
    out = wharfd.docker("load", "-i", str(saved)).stdout.decode()
    try:
        assert out == "Loaded image: built:1\n"
        theirs, ours = inspect(dockerd, "built:1"), inspect(wharfd, "built:1")
        assert ours["Id"] == theirs["Id"] and ours["RootFS"] == theirs["RootFS"]
        assert ours["Config"]["Labels"] == {"stage": "test"}  # type: ignore[index]
        fmt = "{{.CreatedBy}}|{{.Comment}}"
        assert (wharfd.docker("history", "--no-trunc", "--format", fmt, "built:1").stdout
                == dockerd.docker("history", "--no-trunc", "--format", fmt, "built:1").stdout)
        assert wharfd.docker("run", "--rm", "built:1", "cat", "/b.txt").stdout == b"b"
    finally:
        wharfd.docker("rmi", "built:1", check=False)


def test_wharfd_save_loads_into_dockerd(dockerd: Daemon, wharfd: Daemon, work: Path) -> None:
    wharfd.docker("tag", "busybox:latest", "from-wharf:1")
    saved = work / "wharf.tar"
    wharfd.docker("save", "-o", str(saved), "from-wharf:1")
    try:
        out = dockerd.docker("load", "-i", str(saved)).stdout.decode()
        assert "Loaded image: from-wharf:1" in out
        theirs, ours = inspect(dockerd, "from-wharf:1"), inspect(wharfd, "from-wharf:1")
        assert theirs["Id"] == ours["Id"] and theirs["RootFS"] == ours["RootFS"]
        assert theirs["Config"]["Cmd"] == ["sh"]  # type: ignore[index]
    finally:
        dockerd.docker("rmi", "from-wharf:1", check=False)
        wharfd.docker("rmi", "from-wharf:1", check=False)
