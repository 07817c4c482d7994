"""save/load between wharfd and a real dockerd (Debian's docker.io), both ways: what dockerd
saves (its pre-25 layout: ``<id>/layer.tar``, ``json``, ``VERSION``) loads into wharfd as the
same image, and what wharfd saves loads into dockerd as the same image."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.daemons import DOCKER_CLI, Daemon, dockerd_with_busybox
from tests.support.scratch import scratch_dir

pytestmark = [
    pytest.mark.skipif(shutil.which("dockerd") is None, reason="dockerd (docker.io) not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]


@pytest.fixture(scope="module")
def dockerd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    tmp = tmp_path_factory.mktemp("dockerd-archive")
    with dockerd_with_busybox(tmp) as daemon:
        yield daemon


@pytest.fixture
def work() -> Iterator[Path]:
    with scratch_dir("wharf-dockerd-archive-") as path:
        yield path


def inspect(daemon: Daemon, ref: str) -> dict[str, object]:
    doc = json.loads(daemon.docker("image", "inspect", ref).stdout)[0]
    assert isinstance(doc, dict)
    return doc


def build_in_dockerd(dockerd: Daemon, work: Path, tag: str) -> None:
    """A three-layer image by the classic builder (its steps are parent images)."""
    context = work / "context"
    context.mkdir()
    (context / "a.txt").write_text("a" * 3000)
    (context / "b.txt").write_text(tag)  # one image per tag: no build cache shared
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
        fmt = "{{.CreatedBy}}|{{.Comment}}|{{.Size}}"
        assert (wharfd.docker("history", "--no-trunc", "--format", fmt, "built:1").stdout
                == dockerd.docker("history", "--no-trunc", "--format", fmt, "built:1").stdout)
        assert wharfd.docker("run", "--rm", "built:1", "cat", "/b.txt").stdout == b"built:1"
        # the whole inspect document as dockerd 20.10 (API 1.41) gives it, but for where each
        # engine keeps the files and the parent (dockerd has the build's step images)
        theirs_41, ours_41 = (json.loads(d.request("GET", "/v1.41/images/built:1/json")[1])
                              for d in (dockerd, wharfd))
        assert list(ours_41) == list(theirs_41)
        for key in ("GraphDriver", "Parent", "Metadata"):
            del theirs_41[key], ours_41[key]
        assert ours_41 == theirs_41
        query = '/v1.41/images/json?filters={"reference":["built"]}'
        theirs_list, ours_list = (json.loads(d.request("GET", query)[1]) for d in (dockerd, wharfd))
        del theirs_list[0]["ParentId"], ours_list[0]["ParentId"]
        assert ours_list == theirs_list
    finally:
        wharfd.docker("rmi", "built:1", check=False)
        dockerd.docker("rmi", "built:1", check=False)


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


def test_a_parent_chain_behaves_as_in_dockerd(dockerd: Daemon, wharfd: Daemon, work: Path) -> None:
    """The classic builder's step images, saved with their parents, keep the chain in wharfd:
    images -a, history ids, the dependent-child refusal and rmi's records match dockerd's."""
    build_in_dockerd(dockerd, work, "chain:top")
    steps = dockerd.docker("images", "-aq", "--no-trunc", "--filter", "dangling=false").stdout
    chain = [inspect(dockerd, "chain:top")]
    while chain[-1]["Parent"]:
        chain.append(inspect(dockerd, str(chain[-1]["Parent"])))
    assert len(chain) == 4 and steps
    names = [f"chain:step{i}" for i in range(1, 4)]
    for image, name in zip(chain[1:], names, strict=True):
        dockerd.docker("tag", str(image["Id"]), name)
    saved = work / "chain.tar"
    dockerd.docker("save", "-o", str(saved), "chain:top", *names)
    wharfd.docker("load", "-i", str(saved))
    try:
        for daemon in (dockerd, wharfd):
            for name in names:
                daemon.docker("rmi", name)

        def seen(daemon: Daemon, *args: str) -> list[str]:
            return sorted(daemon.docker(*args).stdout.decode().split())

        for args in (("images", "-aq", "--filter", "reference=chain"),
                     ("history", "-q", "chain:top")):
            assert seen(wharfd, *args) == seen(dockerd, *args)
        all_ids = seen(wharfd, "images", "-aq", "--no-trunc")
        assert chain[1]["Id"] in all_ids
        assert chain[1]["Id"] not in seen(wharfd, "images", "-q", "--no-trunc")
        for daemon in (dockerd, wharfd):
            res = daemon.docker("rmi", "-f", str(chain[1]["Id"]), check=False)
            assert res.stderr.decode().strip().endswith(
                f"conflict: unable to delete {str(chain[1]['Id'])[7:19]} (cannot be forced) - "
                "image has dependent child images")
        theirs, ours = (d.docker("rmi", "chain:top").stdout.decode() for d in (dockerd, wharfd))
        images_removed = [line for line in theirs.splitlines()
                          if line.split(": ")[-1] in {str(c["Id"]) for c in chain}]
        # dockerd keeps the base (it is its busybox:latest); in wharfd it was only chain:step3
        assert images_removed == [f"Deleted: {c['Id']}" for c in chain[:3]]
        assert ours.splitlines()[0] == "Untagged: chain:top"
        assert [line for line in ours.splitlines() if "sha256:" in line and line.split(": ")[-1]
                in {str(c["Id"]) for c in chain}] == [f"Deleted: {c['Id']}" for c in chain]
    finally:
        for daemon in (dockerd, wharfd):
            daemon.docker("rmi", "chain:top", *names, check=False)
