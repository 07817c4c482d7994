"""kill -9 of wharfd loses nothing: records survive, exits that happen while it is down are
recorded with their real code when it comes back (live-restore through the shims)."""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path

import pytest
from tests.support.daemons import Daemon, import_busybox, shut_down_wharfd, start_wharfd

pytestmark = pytest.mark.root


def create(daemon: Daemon, cmd: list[str]) -> str:
    name = f"crash-{uuid.uuid4().hex[:8]}"
    created = daemon.json("POST", f"/containers/create?name={name}",
                          {"Image": "busybox", "Cmd": cmd})
    assert isinstance(created, dict)
    return str(created["Id"])


def shim_server_pid(tmp: Path) -> int | None:
    """The pid of the shim fork server serving the daemon on ``tmp`` (None: it runs none)."""
    marker = str(tmp / "exec" / "shimserver.sock").encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes():
                    return int(entry.name)
            except OSError:
                continue
    return None


def running(pid: int) -> bool:
    """Alive and not a zombie: in a container whose init does not reap orphans (a CI runner's
    ``timeout``, say) a dead fork server stays in /proc as a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def state_of(daemon: Daemon, cid: str) -> dict[str, object]:
    inspected = daemon.json("GET", f"/containers/{cid}/json")
    assert isinstance(inspected, dict)
    return dict(inspected["State"])


def test_sigkilled_daemon_comes_back_with_every_record(tmp_path: Path) -> None:
    daemon = start_wharfd(tmp_path)
    try:
        import_busybox(daemon)
        never_started = create(daemon, ["true"])
        exits_while_down = create(daemon, ["sh", "-c", "sleep 1; exit 9"])
        keeps_running = create(daemon, ["sleep", "300"])
        daemon.json("POST", f"/containers/{exits_while_down}/start")
        daemon.json("POST", f"/containers/{keeps_running}/start")
        server_pid = shim_server_pid(tmp_path)
        daemon.proc.send_signal(signal.SIGKILL)
        daemon.proc.wait(timeout=30)
        time.sleep(2)  # the first container exits while no daemon is there
        assert server_pid is None or not running(server_pid), \
            "the shim fork server outlived its daemon"

        daemon = start_wharfd(tmp_path, log_name="wharfd-after-kill.log")
        assert state_of(daemon, never_started)["Status"] == "created"
        exited = state_of(daemon, exits_while_down)
        assert (exited["Status"], exited["ExitCode"], exited["Running"]) == ("exited", 9, False)
        assert state_of(daemon, keeps_running)["Running"] is True
        daemon.json("POST", f"/containers/{keeps_running}/kill")
        waited = daemon.json("POST", f"/containers/{keeps_running}/wait")
        assert isinstance(waited, dict) and waited["StatusCode"] == 137
        for cid in (never_started, exits_while_down, keeps_running):
            status, _ = daemon.request("DELETE", f"/containers/{cid}")
            assert status == 204
    finally:
        shut_down_wharfd(daemon, tmp_path)
