"""Under load: 200 ``run --rm`` at concurrency 8 all succeed and leave nothing behind. Logs: a
container writing past max-size has its log rotated, and ``logs`` reads across the files."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tests.support.daemons import Daemon, UnixHTTPConnection, import_busybox, wharfd_running

pytestmark = pytest.mark.root

RUNS, CONCURRENCY = 200, 8


def run_rm(daemon: Daemon) -> int:
    """``docker run --rm busybox true`` as the CLI does it: create, wait for the removal (its
    headers come back at once), start, then read the exit code."""
    created = daemon.json("POST", f"/containers/create?name=load-{uuid.uuid4().hex[:10]}",
                          {"Image": "busybox", "Cmd": ["true"],
                           "HostConfig": {"AutoRemove": True}})
    assert isinstance(created, dict)
    cid = created["Id"]
    waiter = UnixHTTPConnection(str(daemon.socket_path))
    try:
        waiter.request("POST", f"/containers/{cid}/wait?condition=removed")
        response = waiter.getresponse()
        assert response.status == 200
        daemon.json("POST", f"/containers/{cid}/start")
        answer = json.loads(response.read())
    finally:
        waiter.close()
    assert answer["Error"] is None, answer
    return int(answer["StatusCode"])


def test_200_run_rm_at_concurrency_8(tmp_path: Path) -> None:
    with wharfd_running(tmp_path) as daemon:
        import_busybox(daemon)
        started = time.monotonic()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            codes = list(pool.map(lambda _: run_rm(daemon), range(RUNS)))
        elapsed = time.monotonic() - started
        print(f"\n{RUNS} run --rm at concurrency {CONCURRENCY}: {elapsed:.1f} s")
        assert codes == [0] * RUNS
        assert elapsed < 120
        time.sleep(0.5)
        assert daemon.json("GET", "/containers/json?all=1") == []
        data = daemon.data_root
        assert [p.name for p in (data / "containers").iterdir()] == []
        assert [p.name for p in (data / "runtime").iterdir() if len(p.name) == 64] == []
        assert [line for line in Path("/proc/self/mountinfo").read_text().splitlines()
                if str(data) in line] == []


def test_a_log_past_max_size_is_rotated_and_read_back_in_order(tmp_path: Path) -> None:
    with wharfd_running(tmp_path) as daemon:
        import_busybox(daemon)
        created = daemon.json(
            "POST", f"/containers/create?name=rot-{uuid.uuid4().hex[:8]}",
            {"Image": "busybox",
             "Cmd": ["sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done"],
             "HostConfig": {"LogConfig": {"Type": "json-file",
                                          "Config": {"max-size": "20k", "max-file": "3"}}}})
        assert isinstance(created, dict)
        cid = created["Id"]
        daemon.json("POST", f"/containers/{cid}/start")
        daemon.json("POST", f"/containers/{cid}/wait")
        log = daemon.data_root / "containers" / cid / f"{cid}-json.log"
        files = sorted(p.name for p in log.parent.glob(log.name + "*"))
        assert files == [log.name, log.name + ".1", log.name + ".2"]
        assert all(p.stat().st_size <= 20_000 for p in log.parent.glob(log.name + "*"))
        lines = daemon.docker("logs", cid).stdout.decode().split()
        first = int(lines[0].removeprefix("line-"))
        assert first > 0  # the oldest lines were rotated away
        assert lines == [f"line-{i}" for i in range(first, 3000)]
        tail = daemon.docker("logs", "--tail", "5", cid).stdout.decode().split()
        assert tail == [f"line-{i}" for i in range(2995, 3000)]
