"""docker-py 7's container API against wharfd: run (with its output, env, labels), logs as a
followed stream, attach_socket, exec_run with demux, wait, top, put_archive/get_archive, commit.
"""

from __future__ import annotations

import io
import tarfile
import time
import uuid
from collections.abc import Iterator

import docker
import docker.errors
import pytest
from docker.models.containers import Container


@pytest.fixture
def name() -> str:
    return f"py-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def sleeper(client: docker.DockerClient, name: str) -> Iterator[Container]:
    container = client.containers.run("busybox", ["sleep", "300"], detach=True, name=name,
                                      labels={"suite": "docker-py"}, environment={"X": "1"})
    try:
        yield container
    finally:
        container.remove(force=True)


def test_run_with_environment_labels_and_stderr(client: docker.DockerClient) -> None:
    out = client.containers.run("busybox", ["sh", "-c", "echo $X; echo oops >&2"],
                                environment={"X": "forty-two"}, remove=True, stderr=True)
    assert sorted(out.splitlines()) == [b"forty-two", b"oops"]
    with pytest.raises(docker.errors.ContainerError) as failed:
        client.containers.run("busybox", ["sh", "-c", "echo bad >&2; exit 3"], remove=True)
    assert failed.value.exit_status == 3 and b"bad" in failed.value.stderr


def test_labels_and_list_filters(client: docker.DockerClient, sleeper: Container) -> None:
    assert sleeper.labels == {"suite": "docker-py"}
    found = client.containers.list(filters={"label": "suite=docker-py"})
    assert [c.id for c in found] == [sleeper.id]
    assert "X=1" in sleeper.attrs["Config"]["Env"]


def test_logs_followed_as_a_stream(client: docker.DockerClient, name: str) -> None:
    container = client.containers.run(
        "busybox", ["sh", "-c", "for i in 1 2 3; do echo line $i; sleep 0.2; done"],
        detach=True, name=name)
    try:
        lines = list(container.logs(stream=True, follow=True))  # ends when the container does
        assert b"".join(lines) == b"line 1\nline 2\nline 3\n"
        assert container.logs(tail=1) == b"line 3\n"
        assert container.logs(timestamps=True).split(b" ", 1)[0].endswith(b"Z")
    finally:
        container.remove(force=True)


def test_attach_socket_to_a_running_container(client: docker.DockerClient,
                                              name: str) -> None:
    container = client.containers.run("busybox", ["cat"], detach=True, name=name,
                                      stdin_open=True)
    try:
        sock = container.attach_socket(params={"stdin": 1, "stdout": 1, "stream": 1})
        raw = sock._sock
        raw.settimeout(10)
        raw.sendall(b"ping over attach\n")
        received = b""
        deadline = time.monotonic() + 10
        while b"ping over attach\n" not in received and time.monotonic() < deadline:
            received += raw.recv(4096)
        # a multiplexed frame: stream 1 (stdout), three zero bytes, a big-endian length
        assert received[:4] == b"\x01\x00\x00\x00"
        assert received[8:] == b"ping over attach\n"
        sock.close()
    finally:
        container.remove(force=True)


def test_exec_run_with_demux(sleeper: Container) -> None:
    code, (out, err) = sleeper.exec_run(["sh", "-c", "echo to-out; echo to-err >&2; exit 4"],
                                        demux=True)
    assert (code, out, err) == (4, b"to-out\n", b"to-err\n")
    code, output = sleeper.exec_run(["sh", "-c", "pwd; id -u"], workdir="/tmp", user="1000")
    assert (code, output) == (0, b"/tmp\n1000\n")
    streamed = sleeper.exec_run(["sh", "-c", "echo a; echo b"], stream=True)
    assert b"".join(streamed.output) == b"a\nb\n"


def test_wait_returns_the_status_code(client: docker.DockerClient, name: str) -> None:
    container = client.containers.run("busybox", ["sh", "-c", "exit 9"], detach=True,
                                      name=name)
    try:
        assert container.wait(timeout=30) == {"StatusCode": 9, "Error": None}
        container.reload()
        assert (container.status, container.attrs["State"]["ExitCode"]) == ("exited", 9)
    finally:
        container.remove()


def test_top(sleeper: Container) -> None:
    top = sleeper.top()
    assert "PID" in top["Titles"] and "CMD" in top["Titles"]
    commands = [p[top["Titles"].index("CMD")] for p in top["Processes"]]
    assert "sleep 300" in commands


def test_put_and_get_archive(sleeper: Container) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("greeting.txt")
        info.size, info.mode = 6, 0o640
        tar.addfile(info, io.BytesIO(b"hello\n"))
    assert sleeper.put_archive("/tmp", buf.getvalue()) is True
    assert sleeper.exec_run(["cat", "/tmp/greeting.txt"]).output == b"hello\n"

    chunks, stat = sleeper.get_archive("/tmp/greeting.txt")
    assert stat["name"] == "greeting.txt" and stat["size"] == 6
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
        member = tar.getmember("greeting.txt")
        extracted = tar.extractfile(member)
        assert extracted is not None and extracted.read() == b"hello\n"
        assert member.mode & 0o777 == 0o640
    with pytest.raises(docker.errors.NotFound):
        sleeper.get_archive("/no/such/path")


def test_commit_makes_an_image(client: docker.DockerClient, sleeper: Container) -> None:
    sleeper.exec_run(["sh", "-c", "echo committed > /marker"])
    repo = f"py-commit-{uuid.uuid4().hex[:8]}"
    image = sleeper.commit(repository=repo, tag="v1", message="from docker-py",
                           changes=["ENV COMMITTED=yes"], conf={"Labels": {"made": "commit"}})
    try:
        assert f"{repo}:v1" in image.tags
        assert "COMMITTED=yes" in image.attrs["Config"]["Env"]
        # the given config merged over the container's (moby's commit merge)
        assert image.labels == {"made": "commit", "suite": "docker-py"}
        out = client.containers.run(f"{repo}:v1", ["sh", "-c", "cat /marker; echo $COMMITTED"],
                                    remove=True)
        assert out == b"committed\nyes\n"
    finally:
        client.images.remove(f"{repo}:v1", force=True)
