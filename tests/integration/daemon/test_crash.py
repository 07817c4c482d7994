"""kill -9 of wharfd loses nothing: records survive, exits that happen while it is down are
recorded with their real code when it comes back (live-restore through the shims)."""

from __future__ import annotations

import json
import random
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest
from tests.support.daemons import Daemon, import_busybox, shut_down_wharfd, start_wharfd, state_of

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


# ---- kill -9 while containers are being created and started ------------------------------

CRASH_ROUNDS = 6


def run_detached_until_failure(daemon: Daemon, started: list[str], stop: threading.Event) -> None:
    """``run -d`` (create, then start) again and again until the daemon stops answering."""
    while not stop.is_set():
        try:
            status, data = daemon.request(
                "POST", f"/containers/create?name=inflight-{uuid.uuid4().hex[:8]}",
                json.dumps({"Image": "busybox", "Cmd": ["sleep", "300"]}).encode(),
                {"Content-Type": "application/json"})
            if status != 201:
                return
            cid = json.loads(data)["Id"]
            started.append(cid)
            daemon.request("POST", f"/containers/{cid}/start")
        except (OSError, ValueError):
            return


def ids_under(data_root: Path) -> set[str]:
    """Ids of containers the data root holds anything of (dirs, runtime state, snapshots)."""
    found = set()
    for parent in [data_root / "containers", data_root / "runtime",
                   *(d / "containers" for d in data_root.iterdir() if d.name != "containers")]:
        if parent.is_dir():
            found.update(p.name for p in parent.iterdir() if len(p.name) == 64)
    return found


def cgroups_of(ids: set[str]) -> set[str]:
    found = set()
    for cid in ids:
        if [*Path("/sys/fs/cgroup").glob(f"*/wharf/{cid}"), *Path("/sys/fs/cgroup").glob(
                f"wharf/{cid}")]:
            found.add(cid)
    return found


def shim_processes(tmp: Path, daemon_pid: int) -> dict[int, bytes]:
    """Our shims (their command line names our directory), not the daemon's fork server."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            stat = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if b"wharf.runtime.shim" in cmdline and str(tmp).encode() in cmdline \
                and stat[0] not in ("Z", "X") and int(stat[1]) != daemon_pid:
            found[int(entry.name)] = cmdline
    return found


def mounts_under(path: Path) -> list[str]:
    return [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()
            if line.split()[4].startswith(str(path))]


def records(daemon: Daemon) -> dict[str, dict[str, object]]:
    listed = daemon.json("GET", "/containers/json?all=1")
    assert isinstance(listed, list)
    return {str(c["Id"]): c for c in listed}


def test_kill_9_during_run_leaves_nothing_unknown(tmp_path: Path) -> None:
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng.seed(seed)
    daemon = start_wharfd(tmp_path)
    seen: set[str] = set()
    try:
        import_busybox(daemon)
        for round_number in range(CRASH_ROUNDS):
            started: list[str] = []
            stop = threading.Event()
            runner = threading.Thread(target=run_detached_until_failure,
                                      args=(daemon, started, stop))
            runner.start()
            time.sleep(rng.uniform(0.05, 1.2))
            daemon.proc.send_signal(signal.SIGKILL)
            daemon.proc.wait(timeout=30)
            stop.set()
            runner.join(timeout=60)
            seen |= set(started) | ids_under(daemon.data_root)
            daemon = start_wharfd(tmp_path, log_name=f"wharfd-{round_number}.log")
            known = records(daemon)
            context = f"(seed {seed}, round {round_number})\n{daemon.log_tail()}"
            assert ids_under(daemon.data_root) <= set(known), context
            assert cgroups_of(seen) <= set(known), context
            shim_pids = shim_processes(tmp_path, daemon.proc.pid)
            running = {cid for cid, c in known.items() if c["State"] == "running"}
            for pid in shim_pids:
                owners = [cid for cid in running if (daemon.data_root / "containers" / cid /
                          "shim.pid").read_text().strip() == str(pid)]
                assert owners, f"shim {pid} serves no running container {context}"
            for cid in known:
                status, _ = daemon.request("DELETE", f"/containers/{cid}?force=1")
                assert status == 204, context
            time.sleep(0.2)
            assert ids_under(daemon.data_root) == set(), context
            assert cgroups_of(seen) == set(), context
            assert shim_processes(tmp_path, daemon.proc.pid) == {}, context
            assert mounts_under(daemon.data_root / "overlay") == [], context
    finally:
        shut_down_wharfd(daemon, tmp_path)
