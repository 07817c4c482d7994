"""Stopping wharfd: without --live-restore its containers are stopped (Docker's default), with it
they keep running; the API socket and the exec root are private from the start."""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

import pytest
from tests.support.daemons import Daemon, import_busybox, shut_down_wharfd, start_wharfd, state_of

pytestmark = pytest.mark.root


def run_detached(daemon: Daemon, cmd: list[str], **body: object) -> tuple[str, int]:
    created = daemon.json("POST", f"/containers/create?name=sd-{uuid.uuid4().hex[:8]}",
                          {"Image": "busybox", "Cmd": cmd, **body})
    assert isinstance(created, dict)
    cid = str(created["Id"])
    daemon.json("POST", f"/containers/{cid}/start")
    inspected = daemon.json("GET", f"/containers/{cid}/json")
    assert isinstance(inspected, dict)
    return cid, int(inspected["State"]["Pid"])


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def sigterm(daemon: Daemon) -> None:
    daemon.proc.terminate()
    assert daemon.proc.wait(timeout=60) == 0, daemon.log_tail()


def test_sigterm_without_live_restore_stops_every_container(tmp_path: Path) -> None:
    daemon = start_wharfd(tmp_path)
    try:
        import_busybox(daemon)
        # one that obeys SIGTERM, one that ignores it (SIGKILL after its StopTimeout)
        polite, polite_pid = run_detached(
            daemon, ["sh", "-c", "trap 'exit 7' TERM; sleep 300 & wait"], StopTimeout=20)
        stubborn, stubborn_pid = run_detached(
            daemon, ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"], StopTimeout=1)
        sigterm(daemon)
        assert not alive(polite_pid) and not alive(stubborn_pid)
        daemon = start_wharfd(tmp_path, log_name="wharfd-2.log")
        assert (state_of(daemon, polite)["Status"], state_of(daemon, polite)["ExitCode"]) \
            == ("exited", 7)
        assert (state_of(daemon, stubborn)["Status"], state_of(daemon, stubborn)["ExitCode"]) \
            == ("exited", 137)
    finally:
        shut_down_wharfd(daemon, tmp_path)


def test_sigterm_with_live_restore_leaves_containers_running(tmp_path: Path) -> None:
    daemon = start_wharfd(tmp_path, "--live-restore")
    try:
        import_busybox(daemon)
        cid, pid = run_detached(daemon, ["sleep", "300"])
        sigterm(daemon)
        assert alive(pid)
        daemon = start_wharfd(tmp_path, "--live-restore", log_name="wharfd-2.log")
        assert state_of(daemon, cid)["Running"] is True
        assert state_of(daemon, cid)["Pid"] == pid
    finally:
        shut_down_wharfd(daemon, tmp_path)


def test_socket_and_exec_root_modes(tmp_path: Path) -> None:
    exec_root = tmp_path / "exec"
    exec_root.mkdir(mode=0o755)
    os.chmod(exec_root, 0o755)  # as an older wharfd (or a umask) left it
    daemon = start_wharfd(tmp_path)
    try:
        assert stat.S_IMODE(exec_root.stat().st_mode) == 0o700
        assert stat.S_IMODE(os.lstat(daemon.socket_path).st_mode) == 0o660
    finally:
        shut_down_wharfd(daemon, tmp_path)
