"""Restart policies against a real wharfd: on-failure:N, always (not after docker stop), the
events around a policy restart, the ``restarting`` state and RestartCount."""

from __future__ import annotations

import os
import signal
import time

from tests.support.daemons import Daemon

from .helpers import actions, events, inspect, wait_until, wharf


def test_on_failure_restarts_n_times_then_stays_exited(wharfd: Daemon) -> None:
    since = time.time() - 1
    cid = wharf(wharfd, "run", "-d", "--restart", "on-failure:2", "busybox",
                "false").stdout.strip()
    wait_until(lambda: inspect(wharfd, cid)["RestartCount"] == 2
               and inspect(wharfd, cid)["State"]["Status"] == "exited")
    data = inspect(wharfd, cid)
    assert data["State"]["ExitCode"] == 1 and not data["State"]["Restarting"]
    assert data["HostConfig"]["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    seen = events(wharfd, cid, since)
    dies = [attrs for action, attrs in seen if action == "die"]
    assert [d["exitCode"] for d in dies] == ["1", "1", "1"]
    assert all("execDuration" in d for d in dies)
    assert actions(wharfd, cid, since) == ["create", "start", "die", "start", "die", "start",
                                           "die"]


def test_on_failure_leaves_a_clean_exit_alone(wharfd: Daemon) -> None:
    cid = wharf(wharfd, "run", "-d", "--restart", "on-failure", "busybox", "true").stdout.strip()
    wait_until(lambda: inspect(wharfd, cid)["State"]["Status"] == "exited")
    assert inspect(wharfd, cid)["RestartCount"] == 0


def test_always_restarts_after_a_crash_but_not_after_docker_stop(wharfd: Daemon) -> None:
    cid = wharf(wharfd, "run", "-d", "--restart", "always", "busybox", "sleep",
                "60").stdout.strip()
    pid = int(inspect(wharfd, cid)["State"]["Pid"])
    os.kill(pid, signal.SIGKILL)  # a crash: not through the API
    wait_until(lambda: inspect(wharfd, cid)["RestartCount"] == 1
               and inspect(wharfd, cid)["State"]["Status"] == "running")
    assert int(inspect(wharfd, cid)["State"]["Pid"]) != pid
    stopping = time.time()
    wharf(wharfd, "stop", "-t", "1", cid)
    seen = [(action, attrs) for action, attrs in events(wharfd, cid, stopping)
            if action in ("kill", "die", "stop")]
    # sleep, pid 1 of its namespace, ignores SIGTERM: SIGKILL after the timeout
    assert [action for action, _ in seen] == ["kill", "kill", "die", "stop"]
    assert [attrs["signal"] for _, attrs in seen[:2]] == ["15", "9"]
    assert seen[2][1]["exitCode"] == "137"
    state = inspect(wharfd, cid)["State"]
    assert state["Status"] == "exited" and not state["Running"]
    # the back-off after one restart is 0.2 s: well past it, nothing came back
    time.sleep(1.0)
    data = inspect(wharfd, cid)
    assert data["State"]["Status"] == "exited" and data["RestartCount"] == 1
    wharf(wharfd, "start", cid)
    assert inspect(wharfd, cid)["RestartCount"] == 0  # a user's start: a fresh count
    wharf(wharfd, "rm", "-f", cid)


def test_restarting_state_during_the_back_off(wharfd: Daemon) -> None:
    cid = wharf(wharfd, "run", "-d", "--restart", "always", "busybox", "sh", "-c",
                "exit 3").stdout.strip()
    state = wait_until(lambda: (s := inspect(wharfd, cid)["State"])["Restarting"] and s)
    assert state["Status"] == "restarting" and state["Running"] and state["ExitCode"] == 3
    listed = wharf(wharfd, "ps", "--filter", "status=restarting", "--format",
                   "{{.ID}} {{.Status}}").stdout
    assert cid[:12] in listed
    wharf(wharfd, "stop", cid)
    wait_until(lambda: inspect(wharfd, cid)["State"]["Status"] == "exited")
    count = inspect(wharfd, cid)["RestartCount"]
    time.sleep(1.0)
    assert inspect(wharfd, cid)["State"]["Status"] == "exited"
    assert inspect(wharfd, cid)["RestartCount"] == count
    wharf(wharfd, "rm", cid)


def test_bad_policies_are_refused(wharfd: Daemon) -> None:
    res = wharf(wharfd, "run", "-d", "--restart", "always", "--rm", "busybox", "true",
                check=False)
    assert res.returncode == 125 and "Conflicting options: --restart and --rm" in res.stderr
    status, body = wharfd.request(
        "POST", "/containers/create", b'{"Image":"busybox","HostConfig":{"AutoRemove":true,'
        b'"RestartPolicy":{"Name":"always"}}}', {"Content-Type": "application/json"})
    assert status == 400 and b"can't create 'AutoRemove' container with restart policy" in body
    status, body = wharfd.request(
        "POST", "/containers/create", b'{"Image":"busybox","HostConfig":{"RestartPolicy":'
        b'{"Name":"always","MaximumRetryCount":2}}}', {"Content-Type": "application/json"})
    assert status == 400 and b"can only be used with 'on-failure'" in body
