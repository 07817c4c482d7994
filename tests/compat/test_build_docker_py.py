"""docker-py's builds against wharfd: ``images.build(path, tag, buildargs, target)`` and the
low-level ``api.build(decode=True)`` stream; a failing build raises ``BuildError``.

The same tests run against a private dockerd when ``WHARF_COMPAT_DOCKERD=1``.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from tests.compat.build_support import daemon
from tests.support.daemons import Daemon

__all__ = ["daemon"]

DOCKERFILE = """\
FROM busybox AS build
ARG GREETING=hello
RUN echo "$GREETING" > /greeting
FROM build AS extra
RUN echo extra > /extra
FROM busybox
COPY --from=build /greeting /greeting
CMD ["cat", "/greeting"]
"""


@pytest.fixture
def docker_client(daemon: Daemon) -> Iterator[docker.DockerClient]:
    client = docker.DockerClient(base_url=daemon.host, timeout=300)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def tag(docker_client: docker.DockerClient) -> Iterator[str]:
    name = f"wharf-pybuild-{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        for image in docker_client.images.list(name):
            docker_client.images.remove(image.id, force=True)


def _context(tmp_path: Path, dockerfile: str = DOCKERFILE) -> str:
    ctx = tmp_path / "ctx"
    ctx.mkdir(exist_ok=True)
    (ctx / "Dockerfile").write_text(dockerfile)
    return str(ctx)


def _run(client: docker.DockerClient, image: str, *command: str) -> bytes:
    output: bytes = client.containers.run(image, list(command) or None, remove=True)
    return output


def test_images_build_with_buildargs(docker_client: docker.DockerClient, tag: str,
                                     tmp_path: Path) -> None:
    image, logs = docker_client.images.build(path=_context(tmp_path), tag=tag,
                                             buildargs={"GREETING": "bonjour"}, rm=True)
    assert f"{tag}:latest" in image.tags
    streamed = "".join(str(entry.get("stream", "")) for entry in logs)
    assert "Step 1/" in streamed and f"Successfully tagged {tag}:latest" in streamed
    assert _run(docker_client, tag) == b"bonjour\n"


def test_images_build_with_target(docker_client: docker.DockerClient, tag: str,
                                  tmp_path: Path) -> None:
    image, _ = docker_client.images.build(path=_context(tmp_path), tag=tag, target="extra")
    assert f"{tag}:latest" in image.tags
    assert _run(docker_client, tag, "cat", "/greeting", "/extra") == b"hello\nextra\n"


def test_api_build_streams_decoded_messages(docker_client: docker.DockerClient, tag: str,
                                            tmp_path: Path) -> None:
    messages: list[dict[str, Any]] = list(docker_client.api.build(
        path=_context(tmp_path), tag=tag, decode=True, rm=True))
    steps = [m["stream"] for m in messages if re.match(r"Step \d+/\d+ : ", m.get("stream", ""))]
    # (dockerd builds every stage: 8 steps; wharf skips the stage nothing needs: 6)
    assert re.match(r"Step 1/\d+ : FROM busybox AS build\n", steps[0])
    # the classic builder sends an aux ID for each stage it built; the last is the image
    aux = [m["aux"]["ID"] for m in messages if "aux" in m]
    assert aux and all(re.fullmatch(r"sha256:[0-9a-f]{64}", i) for i in aux)
    assert docker_client.images.get(tag).id == aux[-1]


def test_a_build_from_a_fileobj(docker_client: docker.DockerClient, tag: str) -> None:
    dockerfile = io.BytesIO(b"FROM busybox\nRUN echo from-fileobj > /f\n")
    docker_client.images.build(fileobj=dockerfile, tag=tag)
    assert _run(docker_client, tag, "cat", "/f") == b"from-fileobj\n"


def test_a_failing_build_raises_build_error(docker_client: docker.DockerClient, tag: str,
                                            tmp_path: Path) -> None:
    with pytest.raises(docker.errors.BuildError) as failed:
        docker_client.images.build(path=_context(tmp_path, "FROM busybox\nRUN exit 7\n"),
                                   tag=tag)
    assert "returned a non-zero code: 7" in str(failed.value)
    assert docker_client.images.list(tag) == []


def test_prune_builds(docker_client: docker.DockerClient) -> None:
    report = docker_client.api.prune_builds()
    assert isinstance(report["SpaceReclaimed"], int)
    assert report.get("CachesDeleted") is None or isinstance(report["CachesDeleted"], list)


def test_a_gzipped_context(docker_client: docker.DockerClient, tag: str,
                           tmp_path: Path) -> None:
    # gzip=True: the context tar gzipped, sent with Content-Encoding: gzip
    ctx = _context(tmp_path, "FROM busybox\nCOPY data.txt /data.txt\n")
    (Path(ctx) / "data.txt").write_text("zipped\n")
    docker_client.images.build(path=ctx, tag=tag, gzip=True)
    assert _run(docker_client, tag, "cat", "/data.txt") == b"zipped\n"
