"""Restart policies and health checks driven by the stock docker CLI against wharfd."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from tests.support.daemons import Daemon


def wait_until(what: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := what()):
        assert time.monotonic() < deadline, f"timed out; last value {value!r}"
        time.sleep(0.05)
    return value


def text(daemon: Daemon, *args: str) -> str:
    return daemon.docker(*args).stdout.decode().strip()


def test_docker_run_restart_on_failure(wharfd: Daemon) -> None:
    cid = text(wharfd, "run", "-d", "--restart", "on-failure:2", "busybox", "false")
    wait_until(lambda: text(wharfd, "inspect", "-f", "{{.RestartCount}} {{.State.Status}}",
                            cid) == "2 exited")
    assert text(wharfd, "inspect", "-f", "{{.HostConfig.RestartPolicy.Name}}",
                cid) == "on-failure"
    wharfd.docker("rm", cid)


def test_docker_health_flags_inspect_and_ps_filter(wharfd: Daemon) -> None:
    cid = text(wharfd, "run", "-d", "--health-cmd", "true", "--health-interval", "200ms",
               "--health-retries", "2", "busybox", "sleep", "60")
    wait_until(lambda: text(wharfd, "inspect", "-f", "{{.State.Health.Status}}",
                            cid) == "healthy")
    assert cid[:12] in text(wharfd, "ps", "-q", "--filter", "health=healthy")
    assert "(healthy)" in text(wharfd, "ps", "--filter", f"id={cid}", "--format",
                               "{{.Status}}")
    check = json.loads(text(wharfd, "inspect", "-f", "{{json .Config.Healthcheck}}", cid))
    assert check["Test"] == ["CMD-SHELL", "true"] and check["Retries"] == 2
    bad = wharfd.docker("run", "-d", "--health-cmd", "true", "--health-interval", "10us",
                        "busybox", "true", check=False)
    assert bad.returncode == 125 and b"Interval in Healthcheck cannot be less than 1ms" \
        in bad.stderr
    wharfd.docker("rm", "-f", cid)


def test_docker_run_restart_with_rm_is_refused(wharfd: Daemon) -> None:
    res = wharfd.docker("run", "--rm", "--restart", "always", "busybox", "true", check=False)
    assert res.returncode != 0 and b"--restart" in res.stderr
