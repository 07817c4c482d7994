from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, BinaryIO

import pytest

from wharf.client.streams import encode_frame

CID = "c0ffee" + "1" * 58


class Scenario:
    """A fake daemon for run/start/exec: attach streams frames, wait answers after start."""

    def __init__(self, engine: Any, fake: Any, exit_code: int = 0,
                 output: list[tuple[int, bytes]] | None = None,
                 start_error: str | None = None) -> None:
        self.started = threading.Event()
        self.stdin_seen: list[bytes] = []
        self.output = output if output is not None else [(1, b"hello\n"), (2, b"warn\n")]
        engine.route("POST", "/containers/create", fake.Reply(status=201, body={
            "Id": CID, "Warnings": []}))
        engine.route("POST", f"/containers/{CID}/attach", fake.Reply(hijack=self.attach))
        engine.route("POST", f"/containers/{CID}/wait",
                     lambda request: fake.Reply(chunks=self.wait_body(exit_code)))
        if start_error:
            engine.route("POST", f"/containers/{CID}/start", fake.Reply(
                status=400, body={"message": start_error}))
        else:
            engine.route("POST", f"/containers/{CID}/start",
                         lambda request: self.start(fake))

    def start(self, fake: Any) -> Any:
        self.started.set()
        return fake.Reply(status=204)

    def attach(self, reader: BinaryIO, writer: BinaryIO) -> None:
        self.stdin_seen.append(reader.read())  # the client half-closes when stdin ends
        self.started.wait(5)
        for stream, payload in self.output:
            writer.write(encode_frame(stream, payload))
        writer.flush()

    def wait_body(self, exit_code: int) -> Iterator[bytes]:
        self.started.wait(5)
        yield b'{"StatusCode": %d, "Error": null}\n' % exit_code


def test_run_detached_sends_docker_config(wharf: Any, engine: Any, fake: Any) -> None:
    Scenario(engine, fake)
    result = wharf("run", "-d", "--name", "web", "-e", "A=1", "-e", "HOME", "-p",
                   "127.0.0.1:8080:80", "-p", "53/udp", "-v", "/srv:/data:ro", "-v", "/anon",
                   "-m", "64m", "--cpus", "1.5", "--pids-limit", "50", "--cap-add", "NET_ADMIN",
                   "--read-only", "--init", "--runtime", "runc", "-l", "tier=web", "-w", "/tmp",
                   "-u", "nobody", "--entrypoint", "/bin/sh", "--security-opt",
                   "no-new-privileges", "--shm-size", "1g", "--stop-signal", "SIGINT",
                   "--stop-timeout", "3", "busybox", "-c", "echo hi",
                   env={"HOME": "/root"})
    assert result.status == 0, result.stderr
    assert result.stdout == CID + "\n"
    create = engine.find("POST", "/containers/create")[0]
    assert create.param("name") == "web"
    body = create.json()
    assert body["Image"] == "busybox" and body["Cmd"] == ["-c", "echo hi"]
    assert body["Entrypoint"] == ["/bin/sh"]
    assert body["Env"] == ["A=1", "HOME=/root"]
    assert body["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}}
    assert body["Volumes"] == {"/anon": {}}
    assert (body["User"], body["WorkingDir"], body["Labels"]) == ("nobody", "/tmp",
                                                                  {"tier": "web"})
    assert (body["StopSignal"], body["StopTimeout"]) == ("SIGINT", 3)
    assert body["AttachStdout"] is False and body["OpenStdin"] is False
    host = body["HostConfig"]
    assert host["PortBindings"] == {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}],
                                    "53/udp": [{"HostIp": "", "HostPort": ""}]}
    assert host["Binds"] == ["/srv:/data:ro"]
    assert host["Memory"] == 64 * 1024 * 1024 and host["NanoCpus"] == 1_500_000_000
    assert host["PidsLimit"] == 50 and host["CapAdd"] == ["NET_ADMIN"]
    assert host["ReadonlyRootfs"] and host["Init"] and host["Runtime"] == "runc"
    assert host["SecurityOpt"] == ["no-new-privileges"] and host["ShmSize"] == 1 << 30
    assert engine.paths()[-1] == f"POST /containers/{CID}/start"
    assert engine.find("POST", f"/containers/{CID}/attach") == []


def test_run_attached_streams_and_exits_with_container_code(wharf: Any, engine: Any,
                                                             fake: Any) -> None:
    Scenario(engine, fake, exit_code=3)
    result = wharf("run", "--rm", "busybox", "sh", "-c", "exit 3")
    assert result.status == 3
    assert result.stdout == "hello\n" and result.stderr == "warn\n"
    order = [p for p in engine.paths() if "/_ping" not in p]
    assert order[:4] == ["POST /containers/create", f"POST /containers/{CID}/attach",
                         f"POST /containers/{CID}/wait", f"POST /containers/{CID}/start"]
    attach = engine.find("POST", f"/containers/{CID}/attach")[0]
    assert (attach.param("stream"), attach.param("stdin"), attach.param("stdout"),
            attach.param("stderr")) == ("1", None, "1", "1")
    assert engine.find("POST", f"/containers/{CID}/wait")[0].param("condition") == "removed"
    body = engine.find("POST", "/containers/create")[0].json()
    assert body["HostConfig"]["AutoRemove"] is True and body["AttachStdout"] is True


def test_run_interactive_pipes_stdin_then_half_closes(wharf: Any, engine: Any,
                                                      fake: Any) -> None:
    scenario = Scenario(engine, fake, output=[(1, b"HI\n")])
    result = wharf("run", "-i", "busybox", "cat", stdin=b"hi\n")
    assert result.status == 0 and result.stdout == "HI\n"
    assert scenario.stdin_seen == [b"hi\n"]
    body = engine.find("POST", "/containers/create")[0].json()
    assert body["OpenStdin"] and body["StdinOnce"] and body["AttachStdin"]
    wait = engine.find("POST", f"/containers/{CID}/wait")[0]
    assert wait.param("condition") == "next-exit"


@pytest.mark.parametrize(("message", "status"), [
    ('failed to create task: exec: "nope": executable file not found in $PATH', 127),
    ("exec /etc/passwd: permission denied", 126),
    ("something else broke", 125),
])
def test_start_failures_map_to_docker_exit_codes(wharf: Any, engine: Any, fake: Any,
                                                 message: str, status: int) -> None:
    Scenario(engine, fake, start_error=message)
    result = wharf("run", "busybox", "nope")
    assert result.status == status
    assert result.stderr == (f"wharf: Error response from daemon: {message}\n\n"
                             "Run 'wharf run --help' for more information\n")


def test_missing_image_tries_to_pull_then_fails_125(wharf: Any, engine: Any,
                                                    fake: Any) -> None:
    engine.route("POST", "/containers/create", fake.Reply(
        status=404, body={"message": "No such image: nope:latest"}))
    engine.route("POST", "/images/create", fake.Reply(
        status=404, body={"message": "pull access denied for nope"}))
    result = wharf("run", "nope")
    assert result.status == 125
    assert result.stderr.startswith("Unable to find image 'nope:latest' locally\n"
                                    "wharf: Error response from daemon: pull access denied")
    pull = engine.find("POST", "/images/create")[0]
    # docker's client sends the normalised name and the stored credentials (none: "{}")
    assert (pull.param("fromImage"), pull.param("tag")) == ("docker.io/library/nope", "latest")
    assert pull.headers["x-registry-auth"] == "e30="


def test_tty_requires_a_terminal(wharf: Any, engine: Any, fake: Any) -> None:
    Scenario(engine, fake)
    result = wharf("run", "-it", "busybox")
    assert result.status == 1 and result.stderr == "the input device is not a TTY\n"
    assert engine.find("POST", "/containers/create") == []


def test_run_flag_errors(wharf: Any) -> None:
    bad = wharf("run", "-m", "lots", "busybox")
    assert bad.status == 125
    assert 'invalid argument "lots" for "-m, --memory" flag: invalid size' in bad.stderr
    conflict = wharf("run", "--rm", "--restart", "always", "busybox")
    assert conflict.status == 125 and "Conflicting options: --restart and --rm" in conflict.stderr


def test_create_prints_id(wharf: Any, engine: Any, fake: Any) -> None:
    Scenario(engine, fake)
    result = wharf("container", "create", "-t", "busybox")
    assert result.stdout == CID + "\n"
    assert engine.find("POST", "/containers/create")[0].json()["Tty"] is True


def test_start_attach_uses_wait_and_exit_code(wharf: Any, engine: Any, fake: Any) -> None:
    Scenario(engine, fake, exit_code=5, output=[(1, b"again\n")])
    engine.route("GET", f"/containers/{CID}/json", {
        "Id": CID, "Config": {"Tty": False, "OpenStdin": False}, "HostConfig": {}})
    engine.route("GET", "/containers/web/json", {
        "Id": CID, "Config": {"Tty": False, "OpenStdin": False}, "HostConfig": {}})
    result = wharf("start", "-a", "web")
    assert result.status == 5 and result.stdout == "again\n"


def test_start_reports_failures(wharf: Any, engine: Any, fake: Any) -> None:
    engine.route("POST", "/containers/[^/]+/start", fake.Reply(
        status=404, body={"message": "No such container: x"}))
    result = wharf("start", "x")
    assert result.status == 1
    assert result.stderr == ("Error response from daemon: No such container: x\n"
                             "Error: failed to start containers: x\n")


def test_exec_attached_and_detached(wharf: Any, engine: Any, fake: Any) -> None:
    seen: list[bytes] = []

    def exec_stream(reader: BinaryIO, writer: BinaryIO) -> None:
        seen.append(reader.read())
        writer.write(encode_frame(1, b"inside\n"))
        writer.flush()

    engine.route("POST", "/containers/web/exec", fake.Reply(status=201, body={"Id": "e1"}))
    engine.route("POST", "/exec/e1/start", lambda request: fake.Reply(hijack=exec_stream)
                 if request.json().get("Detach") is False else fake.Reply(status=200))
    engine.route("GET", "/exec/e1/json", {"ExitCode": 7, "Running": False})
    result = wharf("exec", "-i", "-e", "X=1", "-u", "1000", "-w", "/tmp", "web", "sh", "-c",
                   "cat", stdin=b"data")
    assert result.status == 7 and result.stdout == "inside\n"
    assert seen == [b"data"]
    config = engine.find("POST", "/containers/web/exec")[0].json()
    assert config["Cmd"] == ["sh", "-c", "cat"] and config["Env"] == ["X=1"]
    assert config["AttachStdin"] and config["User"] == "1000" and config["WorkingDir"] == "/tmp"
    detached = wharf("exec", "-d", "web", "true")
    assert detached.status == 0 and detached.stdout == ""
    assert engine.find("POST", "/exec/e1/start")[-1].json() == {"Detach": True, "Tty": False}


def test_attach_refuses_stopped_container(wharf: Any, engine: Any) -> None:
    engine.route("GET", "/containers/web/json", {"Id": CID, "State": {"Running": False}})
    result = wharf("attach", "web")
    assert result.status == 1
    assert result.stderr == "You cannot attach to a stopped container, start it first\n"


def test_run_tty_raw_mode_resize_and_input(engine: Any, fake: Any) -> None:
    import fcntl
    import io
    import os
    import pty
    import select
    import struct
    import termios

    from wharf.cli.main import main

    scenario = Scenario(engine, fake, exit_code=0)
    typed: list[bytes] = []

    def tty_attach(reader: BinaryIO, writer: BinaryIO) -> None:
        typed.append(reader.read(3))
        scenario.started.wait(5)
        writer.write(b"raw output\r\n")
        writer.flush()

    engine.route("POST", f"/containers/{CID}/attach", fake.Reply(hijack=tty_attach))
    engine.route("POST", f"/containers/{CID}/resize", fake.Reply(status=200))
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    before = termios.tcgetattr(slave)
    stdin = open(slave, "rb", buffering=0)  # noqa: SIM115 - closed in finally
    stdout = open(os.dup(slave), "wb", buffering=0)  # noqa: SIM115
    try:
        os.write(master, b"ls\n")
        status = main(["run", "-it", "busybox", "sh"], {"WHARF_HOST": engine.address}, stdin,
                      stdout, io.BytesIO())
        assert status == 0
        assert termios.tcgetattr(slave) == before  # raw mode undone
        output = b""
        for _ in range(20):  # the echo of what was typed, then the container's output
            if not select.select([master], [], [], 0.5)[0]:
                break
            output += os.read(master, 1024)
    finally:
        stdin.close()
        stdout.close()
        os.close(master)
    assert b"raw output" in output
    assert typed == [b"ls\n"]
    resize = engine.find("POST", f"/containers/{CID}/resize")[0]
    assert (resize.param("h"), resize.param("w")) == ("30", "100")
    body = engine.find("POST", "/containers/create")[0].json()
    assert body["Tty"] and body["OpenStdin"] and body["AttachStdin"]
