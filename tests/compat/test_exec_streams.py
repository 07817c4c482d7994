"""A hijacked exec stream keeps its output and exit code whatever the client does with its
input: half-closing right after the request (the docker CLI does when its stdin ends, before
the daemon took the connection over), or typing while the process ends (the shim half-closes
and drains instead of resetting the connection, which lost the exit frame)."""

from __future__ import annotations

import json
import socket
import subprocess
import uuid

from tests.support.daemons import DOCKER_CLI, Daemon

ROUNDS = 8


def started_container(wharfd: Daemon) -> str:
    name = f"streams-{uuid.uuid4().hex[:8]}"
    wharfd.docker("run", "-d", "--name", name, "busybox", "sleep", "120")
    return name


def exec_created(wharfd: Daemon, container: str, tty: bool) -> str:
    created = wharfd.json("POST", f"/containers/{container}/exec", {
        "AttachStdin": True, "AttachStdout": True, "AttachStderr": True, "Tty": tty,
        "Cmd": ["sh", "-c", "echo out; echo err >&2"]})
    assert isinstance(created, dict)
    return str(created["Id"])


def start_half_closed(wharfd: Daemon, exec_id: str, tty: bool) -> bytes:
    """Start the exec upgraded, half-close at once, return everything the daemon sends."""
    body = json.dumps({"Detach": False, "Tty": tty}).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(20)
        sock.connect(str(wharfd.socket_path))
        sock.sendall(f"POST /v1.47/exec/{exec_id}/start HTTP/1.1\r\nHost: wharf\r\n"
                     "Content-Type: application/json\r\nConnection: Upgrade\r\n"
                     f"Upgrade: tcp\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_half_close_right_after_the_start_keeps_output_and_exit_code(wharfd: Daemon) -> None:
    container = started_container(wharfd)
    try:
        for tty in (True, False):
            for _ in range(ROUNDS):
                exec_id = exec_created(wharfd, container, tty)
                received = start_half_closed(wharfd, exec_id, tty)
                assert b"out" in received and b"err" in received, received
                inspected = wharfd.json("GET", f"/exec/{exec_id}/json")
                assert isinstance(inspected, dict)
                assert (inspected["Running"], inspected["ExitCode"]) == (False, 0)
    finally:
        wharfd.docker("rm", "-f", container, check=False)


def test_docker_exec_it_with_its_stdin_ending_gets_output_and_exit_code(wharfd: Daemon) -> None:
    """``script`` with no input: the CLI's terminal input ends while the exec runs."""
    container = started_container(wharfd)
    try:
        command = f"{DOCKER_CLI} exec -it {container} sh -c 'tty; echo ok'"
        for _ in range(ROUNDS):
            result = subprocess.run(["script", "-qec", command, "/dev/null"],
                                    env=wharfd.docker_env(), capture_output=True, timeout=60,
                                    stdin=subprocess.DEVNULL)
            assert result.returncode == 0, result
            assert b"/dev/pts/" in result.stdout and b"ok" in result.stdout, result
    finally:
        wharfd.docker("rm", "-f", container, check=False)
