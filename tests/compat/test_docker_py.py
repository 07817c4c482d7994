"""docker-py 7 drives wharfd unchanged."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import docker
import pytest

from tests.support.daemons import Daemon


@pytest.fixture
def client(wharfd: Daemon) -> Iterator[docker.DockerClient]:
    cli = docker.DockerClient(base_url=wharfd.host)
    try:
        yield cli
    finally:
        cli.close()


def test_run_returns_output(client: docker.DockerClient) -> None:
    assert client.containers.run("busybox", ["echo", "hello"], remove=True) == b"hello\n"


def test_detached_logs_exec_stop_remove(client: docker.DockerClient) -> None:
    name = f"py-{uuid.uuid4().hex[:8]}"
    container = client.containers.run("busybox", ["sh", "-c", "echo up; sleep 60"],
                                      detach=True, name=name)
    try:
        container.reload()
        assert container.status == "running"
        code, out = container.exec_run(["sh", "-c", "echo $((6*7))"])
        assert (code, out) == (0, b"42\n")
        container.stop(timeout=1)
        container.reload()
        assert container.status == "exited"
        assert b"up" in container.logs()
    finally:
        container.remove(force=True)
    assert name not in [c.name for c in client.containers.list(all=True)]


def test_images_list(client: docker.DockerClient) -> None:
    tags = [t for image in client.images.list() for t in image.tags]
    assert "busybox:latest" in tags
