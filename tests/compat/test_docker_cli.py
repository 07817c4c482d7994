"""The stock docker CLI (API 1.50, negotiating down) drives wharfd unchanged."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid

from tests.support.daemons import DOCKER_CLI, Daemon


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_version_negotiates_down_to_wharf(wharfd: Daemon) -> None:
    out = wharfd.docker("version", "--format", "{{.Server.APIVersion}}").stdout.decode().strip()
    assert out == "1.47"


def test_run_rm_echo(wharfd: Daemon) -> None:
    res = wharfd.docker("run", "--rm", "busybox", "echo", "hi")
    assert res.stdout == b"hi\n"


def test_run_exit_code_is_the_containers(wharfd: Daemon) -> None:
    res = wharfd.docker("run", "--rm", "busybox", "sh", "-c", "exit 3", check=False)
    assert res.returncode == 3


def test_run_unknown_command_exits_127(wharfd: Daemon) -> None:
    res = wharfd.docker("run", "--rm", "busybox", "nosuchcommand", check=False)
    assert res.returncode == 127, res.stderr
    assert b"executable file not found" in res.stderr


def test_run_missing_image_exits_125(wharfd: Daemon) -> None:
    res = wharfd.docker("run", "--rm", "--pull", "never", "nosuchimage:1", "true", check=False)
    assert res.returncode == 125
    assert b"No such image" in res.stderr


def test_stdin_piped_through_run_i(wharfd: Daemon) -> None:
    res = wharfd.docker("run", "-i", "--rm", "busybox", "cat", stdin=b"x\n")
    assert res.stdout == b"x\n"


def test_run_it_under_a_pty(wharfd: Daemon) -> None:
    cmd = f"{DOCKER_CLI} run -it --rm busybox sh -c 'tty; echo done'"
    res = subprocess.run(["script", "-qec", cmd, "/dev/null"], env=wharfd.docker_env(),
                         capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    out = res.stdout.replace(b"\r", b"")
    assert b"/dev/pts/0" in out, res
    assert b"done" in out


def test_detached_lifecycle(wharfd: Daemon) -> None:
    name = unique("life")
    cid = wharfd.docker("run", "-d", "--name", name, "busybox", "sh", "-c",
                        "echo started; while true; do sleep 1; done").stdout.decode().strip()
    assert len(cid) == 64
    try:
        ps = wharfd.docker("ps", "--format", "{{.Names}} {{.Status}}").stdout.decode()
        assert f"{name} Up" in ps
        deadline = time.monotonic() + 10
        while b"started" not in wharfd.docker("logs", name).stdout:
            assert time.monotonic() < deadline, "no log output"
            time.sleep(0.1)
        assert wharfd.docker("exec", name, "echo", "in-exec").stdout == b"in-exec\n"
        running = wharfd.docker("inspect", "-f", "{{.State.Running}}", name).stdout
        assert running.strip() == b"true"
        top = wharfd.docker("top", name).stdout.decode()
        assert "PID" in top and "sh -c" in top
        wharfd.docker("pause", name)
        assert wharfd.docker("inspect", "-f", "{{.State.Status}}", name).stdout.strip() == b"paused"
        wharfd.docker("unpause", name)
        wharfd.docker("stop", "-t", "1", name)
        state = json.loads(wharfd.docker("inspect", name).stdout)[0]["State"]
        assert state["Running"] is False
        assert state["ExitCode"] in (137, 143)
    finally:
        wharfd.docker("rm", "-f", name, check=False)
    assert wharfd.docker("ps", "-aq", "--filter", f"name={name}").stdout.strip() == b""


def test_exec_it_under_a_pty(wharfd: Daemon) -> None:
    name = unique("execit")
    wharfd.docker("run", "-d", "--name", name, "busybox", "sleep", "60")
    try:
        cmd = f"{DOCKER_CLI} exec -it {name} sh -c 'tty; echo ok'"
        res = subprocess.run(["script", "-qec", cmd, "/dev/null"], env=wharfd.docker_env(),
                             capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        assert b"/dev/pts/" in res.stdout and b"ok" in res.stdout, res
    finally:
        wharfd.docker("rm", "-f", name, check=False)


def test_logs_follow_ends_when_container_stops(wharfd: Daemon) -> None:
    name = unique("follow")
    wharfd.docker("run", "-d", "--name", name, "busybox", "sh", "-c",
                  "for i in 1 2 3; do echo line$i; sleep 0.2; done")
    try:
        res = wharfd.docker("logs", "-f", name, timeout=30)
        assert res.stdout == b"line1\nline2\nline3\n"
    finally:
        wharfd.docker("rm", "-f", name, check=False)


def test_wait_and_rename(wharfd: Daemon) -> None:
    name, new = unique("wait"), unique("renamed")
    wharfd.docker("create", "--name", name, "busybox", "sh", "-c", "exit 7")
    try:
        wharfd.docker("rename", name, new)
        wharfd.docker("start", new)
        assert wharfd.docker("wait", new).stdout.strip() == b"7"
    finally:
        wharfd.docker("rm", "-f", new, check=False)


def test_rm_running_without_force_is_refused(wharfd: Daemon) -> None:
    name = unique("busy")
    wharfd.docker("run", "-d", "--name", name, "busybox", "sleep", "60")
    try:
        res = wharfd.docker("rm", name, check=False)
        assert res.returncode != 0
        assert b"You cannot remove a running container" in res.stderr
    finally:
        wharfd.docker("rm", "-f", name, check=False)


def test_images_import_export(wharfd: Daemon, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert b"busybox" in wharfd.docker("images").stdout
    name = unique("exp")
    wharfd.docker("create", "--name", name, "busybox", "true")
    try:
        tar = tmp_path / "fs.tar"
        wharfd.docker("export", "-o", str(tar), name)
        ref = unique("imported") + ":v1"
        wharfd.docker("import", str(tar), ref)
        try:
            out = wharfd.docker("run", "--rm", ref, "/bin/busybox", "echo", "from-import").stdout
            assert out == b"from-import\n"
        finally:
            wharfd.docker("rmi", ref, check=False)
    finally:
        wharfd.docker("rm", "-f", name, check=False)


def test_events_since(wharfd: Daemon) -> None:
    since = str(int(time.time()) - 1)
    name = unique("ev")
    wharfd.docker("run", "--rm", "--name", name, "busybox", "true")
    until = str(int(time.time()) + 1)
    out = wharfd.docker("events", "--since", since, "--until", until, "--filter",
                        f"container={name}", "--format", "{{.Action}}").stdout.decode().split()
    assert "create" in out and "start" in out and "die" in out


def test_container_has_its_own_netns_with_loopback_up(wharfd: Daemon) -> None:
    for network, names in (("none", ["lo"]), ("bridge", ["lo", "eth0"])):
        out = wharfd.docker("run", "--rm", "--network", network, "busybox", "sh", "-c",
                            "ip -o link show; readlink /proc/self/ns/net").stdout.decode()
        links = [line for line in out.splitlines() if ": " in line and "link/" in line]
        assert [line.split(": ")[1].split("@")[0] for line in links] == names, out
        assert " lo: <LOOPBACK,UP" in links[0], out
        host_netns = os.readlink("/proc/self/ns/net")
        assert host_netns not in out


def test_image_events(wharfd: Daemon) -> None:
    since = str(int(time.time()) - 1)
    ref = unique("tagged") + ":v1"
    wharfd.docker("tag", "busybox", ref)
    wharfd.docker("rmi", ref)
    until = str(int(time.time()) + 1)
    out = wharfd.docker("events", "--since", since, "--until", until, "--filter", "type=image",
                        "--format", "{{.Action}} {{.Actor.Attributes.name}}").stdout.decode()
    assert f"tag {ref}" in out
    assert "untag" in out


def test_tty_output_keeps_onlcr_as_on_dockerd(wharfd: Daemon) -> None:
    """dockerd (containerd's shim, runc with a console socket) leaves ONLCR on the container's
    pty: ``docker run -t`` and ``exec -t`` print "hi\\r\\n" (the docker CLI's raw terminal
    passes it through). Only runc's own foreground console clears it (tests/.../runtime_oci)."""
    assert wharfd.docker("run", "--rm", "-t", "busybox", "echo", "hi").stdout == b"hi\r\n"
    name = unique("onlcr")
    wharfd.docker("run", "-d", "--name", name, "busybox", "sleep", "60")
    try:
        assert wharfd.docker("exec", "-t", name, "echo", "hi").stdout == b"hi\r\n"
    finally:
        wharfd.docker("rm", "-f", name, check=False)
