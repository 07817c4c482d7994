"""docker-py 7 drives wharfd unchanged."""

from __future__ import annotations

import uuid

import docker


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
