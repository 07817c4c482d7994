"""Health checks against a real wharfd: healthy and unhealthy with their log, the
``health_status`` events, ps's status text and health filter, the image's HEALTHCHECK, and
``--health-on-failure``."""

from __future__ import annotations

import time
from pathlib import Path

from tests.support.daemons import Daemon

from .helpers import actions, events, inspect, wait_until, wharf

FAST = ("--health-interval", "200ms", "--health-timeout", "2s")


def health(daemon: Daemon, cid: str) -> dict[str, object]:
    return dict(inspect(daemon, cid)["State"].get("Health") or {})


def test_a_passing_check_turns_healthy(wharfd: Daemon) -> None:
    since = time.time() - 1
    cid = wharf(wharfd, "run", "-d", "--health-cmd", "echo fine", *FAST, "busybox", "sleep",
                "60").stdout.strip()
    assert health(wharfd, cid)["Status"] in ("starting", "healthy")
    wait_until(lambda: health(wharfd, cid).get("Status") == "healthy")
    state = health(wharfd, cid)
    assert state["FailingStreak"] == 0
    entry = state["Log"][-1]  # type: ignore[index]
    assert entry["ExitCode"] == 0 and entry["Output"] == "fine\n" and entry["Start"] <= entry["End"]
    assert "health_status: healthy" in actions(wharfd, cid, since)
    shown = wharf(wharfd, "ps", "--filter", "health=healthy", "--format",
                  "{{.ID}} {{.Status}}").stdout
    assert cid[:12] in shown and "(healthy)" in shown
    assert cid[:12] not in wharf(wharfd, "ps", "-q", "--filter", "health=unhealthy").stdout
    config = inspect(wharfd, cid)["Config"]["Healthcheck"]
    assert config["Test"] == ["CMD-SHELL", "echo fine"] and config["Interval"] == 200_000_000
    assert inspect(wharfd, cid)["ExecIDs"] is None  # probes are forgotten once done
    wharf(wharfd, "rm", "-f", cid)


def test_a_failing_check_turns_unhealthy_after_the_retries(wharfd: Daemon) -> None:
    since = time.time() - 1
    cid = wharf(wharfd, "run", "-d", "--health-cmd", "echo bad; exit 3", "--health-retries",
                "2", *FAST, "busybox", "sleep", "60").stdout.strip()
    assert "(health: starting)" in wharf(wharfd, "ps", "--filter", f"id={cid}", "--format",
                                         "{{.Status}}").stdout
    wait_until(lambda: health(wharfd, cid).get("Status") == "unhealthy")
    state = health(wharfd, cid)
    assert int(state["FailingStreak"]) >= 2  # type: ignore[call-overload]
    log = state["Log"]
    assert isinstance(log, list) and 2 <= len(log) <= 5
    assert log[-1]["ExitCode"] == 3 and log[-1]["Output"] == "bad\n"
    seen = actions(wharfd, cid, since)
    assert "health_status: unhealthy" in seen and "health_status: healthy" not in seen
    assert cid[:12] in wharf(wharfd, "ps", "-q", "--filter", "health=unhealthy").stdout
    wharf(wharfd, "rm", "-f", cid)


def test_the_probe_times_out(wharfd: Daemon) -> None:
    cid = wharf(wharfd, "run", "-d", "--health-cmd", "sleep 5", "--health-interval", "100ms",
                "--health-timeout", "200ms", "--health-retries", "1", "busybox", "sleep",
                "60").stdout.strip()
    wait_until(lambda: health(wharfd, cid).get("Status") == "unhealthy")
    entry = health(wharfd, cid)["Log"][-1]  # type: ignore[index]
    assert entry["ExitCode"] == -1
    assert entry["Output"] == "Health check exceeded timeout (200ms)"
    wharf(wharfd, "rm", "-f", cid)


def test_no_check_is_health_none_and_no_healthcheck_disables_the_images(wharfd: Daemon) -> None:
    cid = wharf(wharfd, "run", "-d", "busybox", "sleep", "60").stdout.strip()
    assert "Health" not in inspect(wharfd, cid)["State"]
    assert cid[:12] in wharf(wharfd, "ps", "-q", "--filter", "health=none").stdout
    res = wharf(wharfd, "ps", "--filter", "health=bogus", check=False)
    assert res.returncode != 0 and "Unrecognised filter value for health: bogus" in res.stderr
    res = wharf(wharfd, "run", "--no-healthcheck", "--health-cmd", "true", "busybox", "true",
                check=False)
    assert res.returncode == 125
    assert "--no-healthcheck conflicts with --health-* options" in res.stderr
    wharf(wharfd, "rm", "-f", cid)


def test_the_images_healthcheck_runs(wharfd: Daemon, tmp_path: Path) -> None:
    context = tmp_path
    (context / "Dockerfile").write_text(
        "FROM busybox\nHEALTHCHECK --interval=200ms --retries=1 CMD test -e /tmp/ok\n")
    wharf(wharfd, "build", "-q", "-t", "hc-image:1", str(context))
    cid = wharf(wharfd, "run", "-d", "hc-image:1", "sleep", "60").stdout.strip()
    wait_until(lambda: health(wharfd, cid).get("Status") == "unhealthy")
    wharf(wharfd, "exec", cid, "touch", "/tmp/ok")
    wait_until(lambda: health(wharfd, cid).get("Status") == "healthy")
    assert inspect(wharfd, cid)["Config"]["Healthcheck"]["Test"] == [
        "CMD-SHELL", "test -e /tmp/ok"]
    off = wharf(wharfd, "run", "-d", "--no-healthcheck", "hc-image:1", "sleep",
                "60").stdout.strip()
    assert "Health" not in inspect(wharfd, off)["State"]
    wharf(wharfd, "rm", "-f", cid, off)
    wharf(wharfd, "rmi", "hc-image:1")


def test_health_on_failure_restart_restarts_the_container(wharfd: Daemon) -> None:
    since = time.time() - 1
    cid = wharf(wharfd, "run", "-d", "--health-cmd", "false", "--health-retries", "1",
                "--health-on-failure", "restart", *FAST, "busybox", "sleep",
                "60").stdout.strip()
    assert inspect(wharfd, cid)["Config"]["Labels"]["wharf.health-on-failure"] == "restart"
    wait_until(lambda: "restart" in actions(wharfd, cid, since))
    seen = actions(wharfd, cid, since)
    assert seen.index("health_status: unhealthy") < seen.index("restart")
    wharf(wharfd, "rm", "-f", cid)


def test_health_on_failure_kill_leaves_it_to_the_restart_policy(wharfd: Daemon) -> None:
    since = time.time() - 1
    cid = wharf(wharfd, "run", "-d", "--health-cmd", "false", "--health-retries", "1",
                "--health-on-failure", "kill", "--restart", "on-failure:1", *FAST, "busybox",
                "sleep", "60").stdout.strip()
    wait_until(lambda: inspect(wharfd, cid)["RestartCount"] == 1)
    wait_until(lambda: inspect(wharfd, cid)["State"]["Status"] == "exited", timeout=20)
    dies = [attrs for action, attrs in events(wharfd, cid, since) if action == "die"]
    assert [d["exitCode"] for d in dies] == ["137", "137"]
    res = wharf(wharfd, "run", "--health-on-failure", "sometimes", "busybox", "true",
                check=False)
    assert res.returncode == 125
    wharf(wharfd, "rm", "-f", cid)
