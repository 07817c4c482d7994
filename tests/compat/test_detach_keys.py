"""Detach keys (ctrl-p ctrl-q by default, ``detachKeys``/``DetachKeys``, ``--detach-keys`` and
``detachKeys`` in the client's config.json): the daemon ends a TTY session on the sequence
(seen here on raw hijacked connections, as docker-py has them); the stock docker CLI and
wharf's own detach ``run -it``, ``attach`` and ``exec -it`` and exit as docker does; the
container, or the exec's process, runs on."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.support.daemons import DOCKER_CLI, VENV_BIN, Daemon
from tests.support.ptyrun import Typed, run_on_pty

# ---- detach keys, seen by the daemon (a raw hijacked connection, as docker-py has) ----------

def hijack(daemon: Daemon, path: str, body: bytes = b"") -> tuple[socket.socket, bytes]:
    """A connection upgraded with ``POST path``; the bytes that followed the 101 head."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(daemon.socket_path))
    sock.settimeout(10)
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: wharf\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                 f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                 .encode() + body)
    head, _, rest = read_until(sock, b"\r\n\r\n").partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock, rest


def read_until(sock: socket.socket, marker: bytes, seen: bytes = b"") -> bytes:
    data = seen
    while marker not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the stream ended before {marker!r}: {data!r}"
        data += chunk
    return data


def ended_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the daemon closes the stream within ``seconds``."""
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    return True


@pytest.fixture
def tty_cat(api: docker.APIClient) -> Iterator[str]:
    """A running container with a TTY whose ``cat -v`` shows what reaches it."""
    container_id = str(api.create_container("busybox", ["cat", "-v"], tty=True,
                                            stdin_open=True)["Id"])
    try:
        api.start(container_id)
        yield container_id
    finally:
        api.remove_container(container_id, force=True)


ATTACH = "/v1.47/containers/{}/attach?stream=1&stdin=1&stdout=1&stderr=1"


def test_detach_keys_end_the_attach_and_the_container_runs_on(
        wharfd: Daemon, api: docker.APIClient, tty_cat: str) -> None:
    since = int(time.time())
    sock, seen = hijack(wharfd, ATTACH.format(tty_cat))
    with sock:
        sock.sendall(b"\x10x\n")  # ctrl-p then other bytes: not the sequence, passed through
        read_until(sock, b"^Px", seen)
        sock.sendall(b"\x10")
        time.sleep(0.2)
        sock.sendall(b"\x11")  # ctrl-p, ctrl-q: detached
        assert ended_within(sock, 10)
    assert api.inspect_container(tty_cat)["State"]["Running"] is True
    actions = [e["Action"] for e in api.events(since=since, until=int(time.time()) + 1,
                                                decode=True, filters={"container": tty_cat})]
    assert "detach" in actions


def test_custom_detach_keys(wharfd: Daemon, api: docker.APIClient, tty_cat: str) -> None:
    sock, seen = hijack(wharfd, ATTACH.format(tty_cat) + "&detachKeys=ctrl-a,b")
    with sock:
        sock.sendall(b"\x10\x11z\n")  # the default sequence is data now (the tty eats ^Q)
        read_until(sock, b"^Pz", seen)
        sock.sendall(b"\x01b")
        assert ended_within(sock, 10)
    assert api.inspect_container(tty_cat)["State"]["Running"] is True


def test_bad_detach_keys_are_refused(wharfd: Daemon, tty_cat: str) -> None:
    status, body = wharfd.request("POST", ATTACH.format(tty_cat) + "&detachKeys=ctrl-1")
    assert (status, json.loads(body)) == (400, {"message": "Invalid detach keys (ctrl-1) provided"})
    status, body = wharfd.request("POST", f"/v1.47/containers/{tty_cat}/exec",
                                  json.dumps({"Cmd": ["true"], "DetachKeys": "x,ctrl-"}).encode(),
                                  {"Content-Type": "application/json"})
    assert (status, json.loads(body)) == (
        400, {"message": "Invalid escape keys (x,ctrl-) provided"})


def exec_cat(api: docker.APIClient, container_id: str) -> str:
    return str(api.exec_create(container_id, ["cat", "-v"], stdin=True, tty=True)["Id"])


def test_detach_keys_end_an_exec_session_and_its_exit_is_still_recorded(
        wharfd: Daemon, api: docker.APIClient, tty_cat: str) -> None:
    detached, left = exec_cat(api, tty_cat), exec_cat(api, tty_cat)
    start = json.dumps({"Detach": False, "Tty": True}).encode()
    sock, seen = hijack(wharfd, f"/v1.47/exec/{detached}/start", start)
    with sock:
        sock.sendall(b"ok\n")
        read_until(sock, b"ok", seen)
        sock.sendall(b"\x10\x11")
        assert ended_within(sock, 10)
    sock, _ = hijack(wharfd, f"/v1.47/exec/{left}/start", start)
    sock.close()  # this client just leaves
    assert api.exec_inspect(detached)["Running"] is True
    kill = api.exec_create(tty_cat, ["sh", "-c", "kill -TERM -1"])  # all but pid 1
    api.exec_start(kill["Id"])
    deadline = time.monotonic() + 10
    while any(api.exec_inspect(e)["Running"] for e in (detached, left)):
        assert time.monotonic() < deadline, "the exits of the execs were not recorded"
        time.sleep(0.1)
    assert {api.exec_inspect(e)["ExitCode"] for e in (detached, left)} == {143}


# ---- the clients: the stock docker CLI and wharf's, on a terminal -------------------------

CLIS = {"docker": DOCKER_CLI, "wharf": str(VENV_BIN / "wharf")}
TYPE_AND_DETACH = [Typed(1.5, b"echo hel''lo\r"), Typed(0.5, b"\x10x\r"),  # ^P passes
                   Typed(0.5, b"\x10"), Typed(0.2, b"\x11")]


def state(api: docker.APIClient, name: str) -> str:
    return str(api.inspect_container(name)["State"]["Status"])


@pytest.fixture(params=sorted(CLIS))
def cli(request: pytest.FixtureRequest) -> str:
    return CLIS[str(request.param)]


@pytest.fixture
def name(api: docker.APIClient) -> Iterator[str]:
    name = f"detach-{time.monotonic_ns()}"
    try:
        yield name
    finally:
        api.remove_container(name, force=True)


def test_run_it_detaches_with_exit_0(wharfd: Daemon, api: docker.APIClient, cli: str,
                                     name: str) -> None:
    res = run_on_pty([cli, "run", "-it", "--name", name, "busybox", "sh"], TYPE_AND_DETACH,
                     wharfd.docker_env())
    assert res.returncode == 0, res
    assert b"hello" in res.output and b"read escape sequence" not in res.output
    assert state(api, name) == "running"


def test_attach_and_exec_it_detach_with_docker_s_message(wharfd: Daemon, api: docker.APIClient,
                                                         cli: str, name: str) -> None:
    wharfd.docker("run", "-dit", "--name", name, "busybox", "sh")
    for argv in ([cli, "attach", name], [cli, "exec", "-it", name, "sh"]):
        res = run_on_pty(argv, TYPE_AND_DETACH, wharfd.docker_env())
        assert (res.returncode, res.output.rstrip()[-20:]) == (1, b"read escape sequence"), res
        assert b"hello" in res.output
    assert state(api, name) == "running"
    processes = wharfd.docker("exec", name, "ps", "-o", "args").stdout.decode().split("\n")
    assert processes.count("sh") == 2  # the container's and the detached exec's


def test_detach_keys_from_the_client_config(wharfd: Daemon, api: docker.APIClient, cli: str,
                                            name: str, tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"detachKeys": "ctrl-a,b"}))
    env = dict(wharfd.docker_env(), DOCKER_CONFIG=str(tmp_path))
    typing = [Typed(1.5, b"\x10\x11"), Typed(0.5, b"echo still''here\r"),  # not the keys now
              Typed(0.5, b"\x01b")]
    res = run_on_pty([cli, "run", "-it", "--name", name, "busybox", "sh"], typing, env)
    assert res.returncode == 0 and b"stillhere" in res.output, res
    assert state(api, name) == "running"


def test_the_detach_keys_flag(wharfd: Daemon, api: docker.APIClient, cli: str,
                              name: str) -> None:
    wharfd.docker("run", "-dit", "--name", name, "busybox", "sh")
    res = run_on_pty([cli, "attach", "--detach-keys", "ctrl-x", name],
                     [Typed(1.0, b"echo hel''lo\r"), Typed(0.5, b"\x18")], wharfd.docker_env())
    assert res.returncode == 1 and b"hello" in res.output, res
    assert state(api, name) == "running"
