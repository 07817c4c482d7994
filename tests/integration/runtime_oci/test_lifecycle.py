"""create → start → kill → delete, exec into a running container, pause, the console socket."""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wharf.runtime import oci
from wharf.runtime.cgroups import open_cgroup
from wharf.runtime.oci.console import receive_fd

from .bundles import docker_config
from .helpers import create_captured, wait_exit

MakeBundle = Callable[[dict[str, Any]], Path]


def sleeper(make_bundle: MakeBundle, state_root: Path, container_id: str,
            out: Path) -> int:
    bundle = make_bundle(docker_config(["sleep", "30"], container_id))
    return create_captured(state_root, container_id, bundle, out)


def test_lifecycle_states(make_bundle: MakeBundle, state_root: Path, container_id: str,
                          tmp_path: Path) -> None:
    pid = sleeper(make_bundle, state_root, container_id, tmp_path / "out")
    info = oci.state(state_root, container_id)
    assert (info["status"], info["pid"], info["id"]) == ("created", pid, container_id)
    assert Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0] != b"sleep"
    oci.start(state_root, container_id)
    assert oci.state(state_root, container_id)["status"] == "running"
    with pytest.raises(oci.ContainerStateError, match="not stopped: running"):
        oci.delete(state_root, container_id)
    oci.kill(state_root, container_id, signal.SIGKILL)
    assert wait_exit(pid) == 128 + 9
    assert oci.state(state_root, container_id)["status"] == "stopped"
    oci.delete(state_root, container_id)
    assert not (state_root / container_id).exists()
    with pytest.raises(oci.ContainerStateError, match="does not exist"):
        oci.state(state_root, container_id)


def test_delete_of_created_container_kills_init(make_bundle: MakeBundle, state_root: Path,
                                                container_id: str, tmp_path: Path) -> None:
    pid = sleeper(make_bundle, state_root, container_id, tmp_path / "out")
    oci.delete(state_root, container_id)
    assert wait_exit(pid) == 128 + 9


def test_exec_joins_the_pid_namespace(make_bundle: MakeBundle, state_root: Path,
                                      container_id: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    init = sleeper(make_bundle, state_root, container_id, out)
    oci.start(state_root, container_id)
    process = {"args": ["sh", "-c", "cat /proc/1/cmdline; echo; echo $$ $(hostname); "
                        "echo $(ls /proc/self/fd); exit 4"],
               "env": ["PATH=/bin"], "cwd": "/tmp",
               "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
                                "permitted": ["CAP_KILL"]}}
    exec_out = tmp_path / "exec-out"
    from .helpers import stdio_to

    with stdio_to(exec_out):
        pid = oci.exec_process(state_root, container_id, process)
    assert wait_exit(pid) == 4
    lines = exec_out.read_text().splitlines()
    assert lines[0].replace("\0", " ").strip() == "sleep 30"
    exec_pid, hostname = lines[1].split()
    assert int(exec_pid) > 1 and hostname == "wharftest"
    assert lines[2] == "0 1 2 3"  # nothing of ours leaked (3 is ls's directory fd)
    oci.kill(state_root, container_id, signal.SIGKILL)  # PID 1 ignores unhandled SIGTERM
    assert wait_exit(init) == 128 + signal.SIGKILL


def test_exec_of_missing_command_fails_cleanly(make_bundle: MakeBundle, state_root: Path,
                                               container_id: str, tmp_path: Path) -> None:
    sleeper(make_bundle, state_root, container_id, tmp_path / "out")
    oci.start(state_root, container_id)
    with pytest.raises(oci.RuntimeCreateError, match='exec: "nope": executable file not found'):
        oci.exec_process(state_root, container_id, {"args": ["nope"], "cwd": "/"})
    assert oci.state(state_root, container_id)["status"] == "running"


def test_pause_and_resume(make_bundle: MakeBundle, state_root: Path, container_id: str,
                          tmp_path: Path) -> None:
    pid = sleeper(make_bundle, state_root, container_id, tmp_path / "out")
    oci.start(state_root, container_id)
    oci.pause(state_root, container_id)
    assert oci.state(state_root, container_id)["status"] == "paused"
    assert oci.processes(state_root, container_id) == [pid]
    oci.resume(state_root, container_id)
    assert oci.state(state_root, container_id)["status"] == "running"
    oci.kill(state_root, container_id, signal.SIGKILL, all_processes=True)
    assert wait_exit(pid) == 137


def with_console(socket_path: str, action: Callable[[], int]) -> tuple[int, int]:
    """Run ``action`` (which passes ``socket_path`` as console socket) while accepting the
    PTY master on it: returns (action's result, master fd)."""
    received: list[int] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(socket_path)
        server.listen(1)
        server.settimeout(10)

        def accept() -> None:
            connection, _ = server.accept()
            with connection:
                received.append(receive_fd(connection)[1])

        thread = threading.Thread(target=accept)
        thread.start()
        result = action()
        thread.join(10)
    return result, received[0]


def read_until_eof(master: int) -> bytes:
    output = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO once the slave side is closed
            break
        if not chunk:
            break
        output += chunk
    return output.replace(b"\r\n", b"\n")


def test_terminal_through_console_socket(make_bundle: MakeBundle, state_root: Path,
                                         container_id: str, tmp_path: Path) -> None:
    config = docker_config(["sh", "-c", "tty; echo ok"], container_id, terminal=True)
    bundle = make_bundle(config)
    socket_path = str(tmp_path / "console.sock")
    pid, master = with_console(socket_path, lambda: oci.create(
        state_root, container_id, bundle, console_socket=socket_path))
    try:
        oci.start(state_root, container_id)
        output = read_until_eof(master)
        assert wait_exit(pid) == 0
    finally:
        os.close(master)
    assert output == b"/dev/pts/0\nok\n"


def test_exec_with_terminal(make_bundle: MakeBundle, state_root: Path, container_id: str,
                            tmp_path: Path) -> None:
    init = sleeper(make_bundle, state_root, container_id, tmp_path / "out")
    oci.start(state_root, container_id)
    socket_path = str(tmp_path / "exec-console.sock")
    process = {"args": ["sh", "-c", "tty; echo $TERM"], "env": ["PATH=/bin", "TERM=xterm"],
               "cwd": "/", "terminal": True}
    pid, master = with_console(socket_path, lambda: oci.exec_process(
        state_root, container_id, process, console_socket=socket_path))
    try:
        output = read_until_eof(master)
        assert wait_exit(pid) == 0
    finally:
        os.close(master)
    assert output == b"/dev/pts/0\nxterm\n"
    oci.kill(state_root, container_id, signal.SIGKILL)
    assert wait_exit(init) == 137


def test_cgroup_is_removed_after_delete(make_bundle: MakeBundle, state_root: Path,
                                        container_id: str, tmp_path: Path) -> None:
    pid = sleeper(make_bundle, state_root, container_id, tmp_path / "out")
    cgroup = open_cgroup(f"/wharf-test/{container_id}")
    assert cgroup.pids() == [pid]
    assert 0 < cgroup.memory_usage() < 64 * 1024 * 1024
    assert not cgroup.oom_killed()
    oci.delete(state_root, container_id, force=True)
    wait_exit(pid)
    assert not any(p.exists() for p in cgroup.mount_sources().values())


def test_out_of_memory_is_reported(make_bundle: MakeBundle, state_root: Path,
                                   container_id: str, tmp_path: Path) -> None:
    limit = 16 * 1024 * 1024
    config = docker_config(["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"],
                           container_id,
                           resources={"memory": {"limit": limit, "swap": limit}})
    pid = create_captured(state_root, container_id, make_bundle(config), tmp_path / "out")
    cgroup = open_cgroup(f"/wharf-test/{container_id}")
    oci.start(state_root, container_id)
    assert wait_exit(pid) == 137
    assert cgroup.oom_killed()


def test_force_delete_clears_a_half_created_container(state_root: Path,
                                                      container_id: str) -> None:
    (state_root / container_id).mkdir(parents=True)  # a create killed before state.json
    with pytest.raises(oci.ContainerStateError, match="does not exist"):
        oci.delete(state_root, container_id)
    oci.delete(state_root, container_id, force=True)
    assert not (state_root / container_id).exists()


def test_hooks_receive_the_state(make_bundle: MakeBundle, state_root: Path, container_id: str,
                                 tmp_path: Path) -> None:
    import json

    config = docker_config(["true"], container_id)
    config["hooks"] = {
        kind: [{"path": "/bin/sh", "args": ["sh", "-c", f"cat > {tmp_path}/{kind}.json"]}]
        for kind in ("createRuntime", "poststart", "poststop")
    }
    pid = create_captured(state_root, container_id, make_bundle(config), tmp_path / "out")
    created = json.loads((tmp_path / "createRuntime.json").read_text())
    assert (created["id"], created["pid"], created["status"]) == (container_id, pid,
                                                                  "creating")
    oci.start(state_root, container_id)
    assert json.loads((tmp_path / "poststart.json").read_text())["status"] == "running"
    assert wait_exit(pid) == 0
    oci.delete(state_root, container_id)
    assert json.loads((tmp_path / "poststop.json").read_text())["status"] == "stopped"
