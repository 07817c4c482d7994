"""What a container wrote, as docker reports it: ``inspect --size`` (SizeRw, SizeRootFs),
``ps -s`` ("<rw> (virtual <rootfs>)") and prune's SpaceReclaimed, through the stock docker
CLI and docker-py. The writes: a 1000000-byte file, a hard link to it (counted once), a
symlink (its 4-byte target), a deletion and a directory (counted nothing)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import docker
import pytest

from tests.support.daemons import Daemon

WRITES = "head -c 1000000 /dev/zero > /big; ln /big /big2; ln -s /big /sym; rm /bin/vi; mkdir /d"
WRITTEN = 1000000 + 4


@pytest.fixture
def writer(wharfd: Daemon) -> Iterator[str]:
    name = f"size-{uuid.uuid4().hex[:8]}"
    wharfd.docker("run", "--name", name, "--label", f"size-test={name}", "busybox", "sh", "-c",
                  WRITES)
    try:
        yield name
    finally:
        wharfd.docker("rm", "-f", name, check=False)


def image_size(wharfd: Daemon) -> int:
    return int(wharfd.docker("image", "inspect", "-f", "{{.Size}}", "busybox").stdout)


def test_inspect_size(wharfd: Daemon, writer: str) -> None:
    sized = json.loads(wharfd.docker("inspect", "--size", writer).stdout)[0]
    assert (sized["SizeRw"], sized["SizeRootFs"]) == (WRITTEN, image_size(wharfd) + WRITTEN)
    plain = json.loads(wharfd.docker("inspect", writer).stdout)[0]
    assert "SizeRw" not in plain and "SizeRootFs" not in plain  # only on request, as dockerd


def test_ps_size_and_docker_py(wharfd: Daemon, api: docker.APIClient, writer: str) -> None:
    out = wharfd.docker("ps", "-as", "--filter", f"name={writer}", "--format", "{{.Size}}")
    virtual = (image_size(wharfd) + WRITTEN) / 1e6
    assert out.stdout.decode().strip() == f"1MB (virtual {virtual:.3g}MB)"
    [listed] = api.containers(all=True, size=True, filters={"name": writer})
    assert (listed["SizeRw"], listed["SizeRootFs"]) == (WRITTEN, image_size(wharfd) + WRITTEN)
    [unsized] = api.containers(all=True, filters={"name": writer})
    assert "SizeRw" not in unsized


def test_prune_reports_the_space_reclaimed(wharfd: Daemon, api: docker.APIClient,
                                           writer: str) -> None:
    since = int(time.time())
    container_id = api.inspect_container(writer)["Id"]
    result = api.prune_containers(filters={"label": f"size-test={writer}"})
    assert result == {"ContainersDeleted": [container_id], "SpaceReclaimed": WRITTEN}
    events = api.events(since=since, until=int(time.time()) + 1, decode=True,
                        filters={"type": "container", "event": "prune"})
    assert [e["Actor"]["Attributes"] for e in events] == [{"reclaimed": str(WRITTEN)}]


def test_cli_prune_prints_the_space_reclaimed(wharfd: Daemon, writer: str) -> None:
    out = wharfd.docker("container", "prune", "-f", "--filter", f"label=size-test={writer}")
    assert out.stdout.decode().strip().endswith("Total reclaimed space: 1MB"), out.stdout

