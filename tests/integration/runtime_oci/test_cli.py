"""``wharf-runtime`` driven like runc, and the same bundle run by runc (and crun) for
comparison."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .bundles import docker_config
from .helpers import wait_exit, wharf_runtime, wharf_runtime_detached

MakeBundle = Callable[[dict[str, Any]], Path]
COMPARE_SCRIPT = ("echo hi; hostname; echo $$; grep CapEff /proc/self/status; "
                  "ls /proc/self/fd; wc -c < /proc/timer_list; unshare -m true; "
                  "echo unshare=$?; exit 3")


def test_run_prints_output_and_exit_code_like_runc(make_bundle: MakeBundle, state_root: Path,
                                                   container_id: str, tmp_path: Path) -> None:
    bundle = make_bundle(docker_config(["sh", "-c", COMPARE_SCRIPT], container_id))
    ours = wharf_runtime(state_root, "run", "--bundle", str(bundle), container_id)
    assert ours.returncode == 3, ours.stderr
    runc = subprocess.run(["runc", "--root", str(tmp_path / "runc"), "run", "--bundle",
                           str(bundle), container_id + "-runc"], capture_output=True,
                          text=True, timeout=30, check=False)
    assert (runc.returncode, runc.stdout) == (ours.returncode, ours.stdout)
    assert ours.stdout.splitlines()[:4] == ["hi", "wharftest", "1", "CapEff:\t00000000a80425fb"]


def test_crun_runs_the_same_bundle(make_bundle: MakeBundle, state_root: Path,
                                   container_id: str, tmp_path: Path) -> None:
    if shutil.which("crun") is None:
        pytest.skip("crun is not installed")
    bundle = make_bundle(docker_config(["sh", "-c", COMPARE_SCRIPT], container_id))
    crun = subprocess.run(["crun", "--root", str(tmp_path / "crun"), "run", "--bundle",
                           str(bundle), container_id + "-crun"], capture_output=True,
                          text=True, timeout=30, check=False)
    if "hybrid mode not supported" in crun.stderr + crun.stdout:
        pytest.skip("crun refuses this host's hybrid cgroup layout: " + crun.stderr.strip())
    ours = wharf_runtime(state_root, "run", "--bundle", str(bundle), container_id)
    assert (crun.returncode, crun.stdout) == (ours.returncode, ours.stdout)


def test_create_start_state_kill_delete(make_bundle: MakeBundle, state_root: Path,
                                        container_id: str, tmp_path: Path) -> None:
    bundle = make_bundle(docker_config(["sleep", "30"], container_id))
    pid_file = tmp_path / "init.pid"
    assert wharf_runtime_detached(state_root, "create", "--bundle", str(bundle), "--pid-file",
                                  str(pid_file), container_id) == 0
    pid = int(pid_file.read_text())
    state = json.loads(wharf_runtime(state_root, "state", container_id).stdout)
    assert (state["status"], state["pid"], state["bundle"]) == ("created", pid, str(bundle))
    assert wharf_runtime(state_root, "start", container_id).returncode == 0
    assert json.loads(wharf_runtime(state_root, "state", container_id).stdout)["status"] \
        == "running"
    assert json.loads(wharf_runtime(state_root, "ps", "--format", "json",
                                    container_id).stdout) == [pid]
    assert wharf_runtime(state_root, "kill", container_id, "KILL").returncode == 0
    assert wait_exit(pid) == 137
    assert json.loads(wharf_runtime(state_root, "state", container_id).stdout)["status"] \
        == "stopped"
    assert wharf_runtime(state_root, "delete", container_id).returncode == 0
    assert not (state_root / container_id).exists()


def test_exec_in_foreground_returns_exit_code(make_bundle: MakeBundle, state_root: Path,
                                              container_id: str) -> None:
    bundle = make_bundle(docker_config(["sleep", "30"], container_id))
    assert wharf_runtime_detached(state_root, "run", "--detach", "--bundle", str(bundle),
                                  container_id) == 0
    result = wharf_runtime(state_root, "exec", "--env", "X=y", container_id, "sh", "-c",
                           "echo $X $$; exit 5")
    assert result.returncode == 5, result.stderr
    value, pid = result.stdout.split()
    assert value == "y" and int(pid) > 1
    assert wharf_runtime(state_root, "delete", "--force", container_id).returncode == 0


def test_errors_go_to_the_log_as_json(state_root: Path, tmp_path: Path) -> None:
    log = tmp_path / "log.json"
    result = wharf_runtime(state_root, "--log", str(log), "--log-format", "json", "state",
                           "nosuch")
    assert result.returncode == 1
    entry = json.loads(log.read_text().splitlines()[-1])
    assert entry["level"] == "error" and "does not exist" in entry["msg"] and entry["time"]


def test_create_error_message_and_exit_status(make_bundle: MakeBundle, state_root: Path,
                                              container_id: str) -> None:
    bundle = make_bundle(docker_config(["nosuch"], container_id))
    result = wharf_runtime(state_root, "create", "--bundle", str(bundle), container_id)
    assert result.returncode == 1
    assert 'exec: "nosuch": executable file not found in $PATH' in result.stderr


def test_features_and_version(state_root: Path) -> None:
    features = json.loads(wharf_runtime(state_root, "features").stdout)
    assert features["linux"]["seccomp"]["enabled"] is True
    assert "pid" in features["linux"]["namespaces"]
    assert wharf_runtime(state_root, "--version").stdout.startswith("wharf-runtime version")


def test_preserved_fds_reach_the_container(make_bundle: MakeBundle, state_root: Path,
                                           container_id: str, tmp_path: Path) -> None:
    import os

    bundle = make_bundle(docker_config(["sh", "-c", "echo via-fd-3 >&3; ls /proc/self/fd"],
                                       container_id))
    shared = tmp_path / "shared"
    fd = os.open(shared, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "wharf.runtime.oci.main", "--root", str(state_root), "run",
             "--preserve-fds", "1", "--bundle", str(bundle), container_id],
            capture_output=True, text=True, timeout=30, check=False, close_fds=False,
            preexec_fn=lambda: os.dup2(fd, 3))
    finally:
        os.close(fd)
    assert result.returncode == 0, result.stderr
    assert shared.read_text() == "via-fd-3\n"
    assert result.stdout.split() == ["0", "1", "2", "3", "4"]  # 4 is ls's directory fd


def test_foreground_run_with_terminal_proxies_the_pty(make_bundle: MakeBundle,
                                                     state_root: Path,
                                                     container_id: str) -> None:
    bundle = make_bundle(docker_config(["sh", "-c", "read line; echo got $line; tty; exit 4"],
                                       container_id, terminal=True))
    result = subprocess.run([sys.executable, "-m", "wharf.runtime.oci.main", "--root",
                             str(state_root), "run", "--bundle", str(bundle), container_id],
                            input="hello\n", capture_output=True, text=True, timeout=30,
                            check=False)
    assert result.returncode == 4, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "got hello" in lines and "/dev/pts/0" in lines


def test_foreground_exec_with_tty(make_bundle: MakeBundle, state_root: Path,
                                  container_id: str) -> None:
    bundle = make_bundle(docker_config(["sleep", "30"], container_id))
    assert wharf_runtime_detached(state_root, "run", "--detach", "--bundle", str(bundle),
                                  container_id) == 0
    result = wharf_runtime(state_root, "exec", "--tty", container_id, "sh", "-c",
                           "tty; exit 2")
    assert result.returncode == 2, result.stderr
    assert result.stdout.strip() == "/dev/pts/0"
    assert wharf_runtime(state_root, "delete", "--force", container_id).returncode == 0


def on_a_terminal(command: list[str], stdout: Path | None = None) -> bytes:
    """What ``command``, run on a terminal of its own (``script``'s), writes to it, or to the
    file ``stdout`` (its stdin staying the terminal)."""
    line = shlex.join(command) + (f" > {shlex.quote(str(stdout))}" if stdout else "")
    result = subprocess.run(["script", "-qec", line, "/dev/null"], stdin=subprocess.DEVNULL,
                            capture_output=True, timeout=30, check=False)
    assert result.returncode == 0, result
    output = stdout.read_bytes() if stdout is not None else result.stdout
    return output.replace(b"^@", b"")  # the container's echo of a NUL script may type


@pytest.mark.parametrize("to_file", [False, True], ids=["terminal", "file"])
def test_foreground_terminal_output_like_runc(make_bundle: MakeBundle, state_root: Path,
                                              container_id: str, tmp_path: Path,
                                              to_file: bool) -> None:
    """runc's own console (foreground, no --console-socket) clears ONLCR on the container's
    pty and keeps output processing on the caller's raw terminal: "hi\n" leaves the runtime,
    the terminal shows "hi\r\n". (dockerd's console-socket path, through the shim, keeps
    ONLCR in the container; the docker CLI's raw terminal has no output processing.)"""
    bundle = make_bundle(docker_config(["echo", "hi"], container_id, terminal=True))
    runtime = [sys.executable, "-m", "wharf.runtime.oci.main", "--root", str(state_root)]
    out = (tmp_path / "ours.out", tmp_path / "runc.out") if to_file else (None, None)
    ours = on_a_terminal([*runtime, "run", "--bundle", str(bundle), container_id], out[0])
    runc = on_a_terminal(["runc", "--root", str(tmp_path / "runc"), "run", "--bundle",
                          str(bundle), container_id + "-runc"], out[1])
    assert ours == runc == (b"hi\n" if to_file else b"hi\r\n")
    exec_bundle = make_bundle(docker_config(["sleep", "30"], container_id + "-x"))
    assert wharf_runtime_detached(state_root, "run", "--detach", "--bundle", str(exec_bundle),
                                  container_id + "-x") == 0
    try:
        exec_out = tmp_path / "exec.out" if to_file else None
        assert on_a_terminal([*runtime, "exec", "--tty", container_id + "-x", "echo", "hi"],
                             exec_out) == ours
    finally:
        wharf_runtime(state_root, "delete", "--force", container_id + "-x")
