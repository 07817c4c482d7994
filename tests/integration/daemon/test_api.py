"""wharfd end to end over its unix socket: raw HTTP and docker-py (root)."""

from __future__ import annotations

import json
import socket
import struct
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker  # type: ignore[import-untyped]
import pytest
from tests.support.daemons import Daemon, import_busybox, start_wharfd, wharfd_running

pytestmark = pytest.mark.root


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture()
def client(wharfd: Daemon) -> Iterator[docker.DockerClient]:
    c = docker.DockerClient(base_url=wharfd.host, version="1.47", timeout=60)
    yield c
    c.close()


def create(daemon: Daemon, name: str, **body: object) -> str:
    body.setdefault("Image", "busybox")
    created = daemon.json("POST", f"/containers/create?name={name}", body)
    assert isinstance(created, dict)
    return str(created["Id"])


def test_run_echo_and_read_the_logs(wharfd: Daemon) -> None:
    cid = create(wharfd, unique("echo"), Cmd=["echo", "hello"])
    try:
        wharfd.json("POST", f"/containers/{cid}/start")
        assert wharfd.json("POST", f"/containers/{cid}/wait") == {"StatusCode": 0, "Error": None}
        status, body = wharfd.request("GET", f"/containers/{cid}/logs?stdout=1&stderr=1")
        assert status == 200
        assert body == struct.pack(">BxxxL", 1, 6) + b"hello\n"
    finally:
        wharfd.request("DELETE", f"/containers/{cid}?force=1")


def test_wait_exit_codes(wharfd: Daemon) -> None:
    three = create(wharfd, unique("three"), Cmd=["sh", "-c", "exit 3"])
    sleeper = create(wharfd, unique("sleeper"), Cmd=["sleep", "60"])
    try:
        wharfd.json("POST", f"/containers/{three}/start")
        assert wharfd.json("POST", f"/containers/{three}/wait")["StatusCode"] == 3  # type: ignore[index]
        wharfd.json("POST", f"/containers/{sleeper}/start")
        wharfd.json("POST", f"/containers/{sleeper}/kill")
        assert wharfd.json("POST", f"/containers/{sleeper}/wait")["StatusCode"] == 137  # type: ignore[index]
    finally:
        for cid in (three, sleeper):
            wharfd.request("DELETE", f"/containers/{cid}?force=1")


def test_missing_command_and_rm_running(wharfd: Daemon) -> None:
    missing = create(wharfd, unique("missing"), Cmd=["nosuchcommand"])
    busy = create(wharfd, unique("busy"), Cmd=["sleep", "60"])
    try:
        status, body = wharfd.request("POST", f"/containers/{missing}/start")
        assert status == 400
        assert "executable file not found" in json.loads(body)["message"]
        wharfd.json("POST", f"/containers/{busy}/start")
        status, body = wharfd.request("DELETE", f"/containers/{busy}")
        assert status == 409
        assert "You cannot remove a running container" in json.loads(body)["message"]
    finally:
        for cid in (missing, busy):
            wharfd.request("DELETE", f"/containers/{cid}?force=1")


def test_attach_stream_over_a_hijacked_socket(wharfd: Daemon) -> None:
    cid = create(wharfd, unique("attach"), Cmd=["cat"], OpenStdin=True, StdinOnce=True,
                 AttachStdin=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(20)
    try:
        sock.connect(str(wharfd.socket_path))
        sock.sendall(f"POST /v1.47/containers/{cid}/attach?stream=1&stdin=1&stdout=1&stderr=1 "
                     "HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
                     .encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101 UPGRADED")
        wharfd.json("POST", f"/containers/{cid}/start")
        sock.sendall(b"through stdin\n")
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        assert received == struct.pack(">BxxxL", 1, 14) + b"through stdin\n"
        assert wharfd.json("POST", f"/containers/{cid}/wait")["StatusCode"] == 0  # type: ignore[index]
    finally:
        sock.close()
        wharfd.request("DELETE", f"/containers/{cid}?force=1")


def test_detached_exec_stop_rm_with_docker_py(client: docker.DockerClient) -> None:
    container = client.containers.run("busybox", ["sleep", "60"], detach=True,
                                      name=unique("py"))
    try:
        assert container.exec_run(["sh", "-c", "echo $((6*7)); exit 2"]) == (2, b"42\n")
        container.stop(timeout=1)
        container.reload()
        assert container.status == "exited"
        assert container.attrs["State"]["ExitCode"] in (137, 143)
    finally:
        container.remove(force=True)
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(container.id)


def test_restarted_daemon_keeps_the_container_and_records_its_exit(tmp_path: Path) -> None:
    with wharfd_running(tmp_path / "first", "--live-restore") as first:
        import_busybox(first)
        cid = create(first, unique("live"), Cmd=["sh", "-c", "sleep 2; exit 6"])
        first.json("POST", f"/containers/{cid}/start")
        first.proc.terminate()
        first.proc.wait(timeout=30)
        # the same data root again: the container is still running under its shim
        second = start_wharfd(tmp_path / "first", "--live-restore",
                              log_name="wharfd-second.log")
        try:
            state = second.json("GET", f"/containers/{cid}/json")["State"]  # type: ignore[index]
            assert state["Running"] is True
            assert second.json("POST", f"/containers/{cid}/wait")["StatusCode"] == 6  # type: ignore[index]
            state = second.json("GET", f"/containers/{cid}/json")["State"]  # type: ignore[index]
            assert state["Status"] == "exited" and state["ExitCode"] == 6
        finally:
            second.request("DELETE", f"/containers/{cid}?force=1")
            second.proc.terminate()
            second.proc.wait(timeout=30)
