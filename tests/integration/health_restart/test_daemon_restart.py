"""Restart policies and health checks across a wharfd restart: without live-restore the
daemon stops its containers and starts at its start what the policies want (``always`` even
after ``docker stop``, ``unless-stopped`` unless stopped by the user); with live-restore the
adopted containers keep their policy and their health checks go on."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tests.support.daemons import import_busybox, shut_down_wharfd, start_wharfd, stop_process

from .helpers import inspect, wait_until, wharf


def test_policies_at_the_daemons_start(tmp_path: Path) -> None:
    home = tmp_path / "d"
    daemon = start_wharfd(home)
    try:
        import_busybox(daemon)

        def run(name: str, policy: str) -> None:
            wharf(daemon, "run", "-d", "--name", name, "--restart", policy, "busybox", "sleep",
                  "60")

        for name, policy in (("always-up", "always"), ("always-stopped", "always"),
                             ("unless-up", "unless-stopped"),
                             ("unless-stopped", "unless-stopped"), ("never", "no")):
            run(name, policy)
        wharf(daemon, "stop", "-t", "0", "always-stopped", "unless-stopped")
        stop_process(daemon.proc)  # no live-restore: the daemon stops every container
        daemon = start_wharfd(home, log_name="wharfd-second.log")
        status = {name: inspect(daemon, name)["State"]["Status"]
                  for name in ("always-up", "always-stopped", "unless-up", "unless-stopped",
                               "never")}
        assert status == {"always-up": "running", "always-stopped": "running",
                          "unless-up": "running", "unless-stopped": "exited",
                          "never": "exited"}
        assert inspect(daemon, "always-up")["RestartCount"] == 0
    finally:
        shut_down_wharfd(daemon, home)


def test_live_restored_containers_keep_their_policy_and_health_checks(tmp_path: Path) -> None:
    home = tmp_path / "d"
    daemon = start_wharfd(home, "--live-restore")
    try:
        import_busybox(daemon)
        cid = wharf(daemon, "run", "-d", "--restart", "always", "--health-cmd", "true",
                    "--health-interval", "200ms", "busybox", "sleep", "60").stdout.strip()
        wait_until(lambda: inspect(daemon, cid)["State"]["Health"]["Status"] == "healthy")
        pid = int(inspect(daemon, cid)["State"]["Pid"])
        stop_process(daemon.proc)
        restarted_at = time.time()
        daemon = start_wharfd(home, "--live-restore", log_name="wharfd-second.log")
        assert int(inspect(daemon, cid)["State"]["Pid"]) == pid

        def probed_since_restart() -> bool:
            log = inspect(daemon, cid)["State"]["Health"]["Log"]
            return any(entry["Start"][:19] >= time.strftime(
                "%Y-%m-%dT%H:%M:%S", time.gmtime(restarted_at)) for entry in log)

        wait_until(probed_since_restart)
        assert inspect(daemon, cid)["State"]["Health"]["Status"] == "healthy"
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: inspect(daemon, cid)["RestartCount"] == 1
                   and inspect(daemon, cid)["State"]["Status"] == "running")
    finally:
        shut_down_wharfd(daemon, home)
