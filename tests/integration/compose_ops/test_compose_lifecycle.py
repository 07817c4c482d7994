"""``wharf compose stop|start|restart|kill|pause|unpause|rm`` and ``logs -f`` against a real
wharfd, each test on a project of its own made as ``up`` makes one."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.compose_ops.project import TRAP, WHARF, Project, project_name
from tests.support.daemons import Daemon, state_of

LOOP = "while :; do sleep 0.2; done"


@pytest.fixture
def project(wharfd: Daemon, tmp_path: Path) -> Iterator[Project]:
    made = Project(wharfd, project_name("clife"), tmp_path)
    made.write_file({"db": [], "web": ["db"]})
    try:
        made.add("db", f"{TRAP}{LOOP}")
        made.add("web", f"{TRAP}{LOOP}")
        yield made
    finally:
        made.remove()


def states(project: Project) -> dict[str, str]:
    return {name: str(state_of(project.daemon, ident)["Status"])
            for name, ident in project.ids.items()}


def test_stop_then_start_in_dependency_order(project: Project) -> None:
    web, db = f"Container {project.name}-web-1", f"Container {project.name}-db-1"
    stopped = project.compose("stop").stderr.decode().splitlines()
    assert stopped.index(f" {web}  Stopped") < stopped.index(f" {db}  Stopping")
    assert set(states(project).values()) == {"exited"}
    started = project.compose("start").stderr.decode().splitlines()
    assert started.index(f" {db}  Started") < started.index(f" {web}  Starting")
    assert set(states(project).values()) == {"running"}


def test_stop_one_service_and_restart(project: Project) -> None:
    out = project.compose("stop", "-t", "1", "web").stderr.decode()
    assert out.splitlines() == [f" Container {project.name}-web-1  Stopping",
                                f" Container {project.name}-web-1  Stopped"]
    assert states(project) == {f"{project.name}-db-1": "running",
                               f"{project.name}-web-1": "exited"}
    restarted = project.compose("restart", "-t", "1").stderr.decode()
    assert f" Container {project.name}-web-1  Started" in restarted.splitlines()
    assert set(states(project).values()) == {"running"}


def test_kill_pause_unpause(project: Project) -> None:
    project.compose("pause", "db")
    assert states(project)[f"{project.name}-db-1"] == "paused"
    unpaused = project.compose("unpause").stderr.decode().splitlines()
    assert unpaused == [f" Container {project.name}-db-1  Unpaused"]
    killed = project.compose("kill", "-s", "SIGKILL").stderr.decode().splitlines()
    assert f" Container {project.name}-web-1  Killed" in killed
    codes = {str(state_of(project.daemon, i)["ExitCode"]) for i in project.ids.values()}
    assert codes == {"137"}
    assert project.compose("kill").stderr == b"no container to kill\n"


def test_rm_asks_then_removes_stopped_containers(project: Project) -> None:
    assert project.compose("rm", "-f").stderr == b"No stopped containers\n"
    project.compose("stop", "web")
    declined = project.compose("rm", stdin=b"n\n")
    assert declined.stdout.decode() == f"? Going to remove {project.name}-web-1 (y/N) "
    assert f"{project.name}-web-1" in states(project)
    accepted = project.compose("rm", "-v", stdin=b"y\n")
    assert f" Container {project.name}-web-1  Removed" in accepted.stderr.decode()
    forced = project.compose("rm", "-f", "-s")
    assert forced.stdout.decode() == f"Going to remove {project.name}-db-1\n"
    listed = json.loads(project.daemon.request(
        "GET", "/containers/json?all=1")[1])
    assert not [c for c in listed if c["Id"] in project.ids.values()]


def test_logs_follow_ends_when_the_containers_exit(wharfd: Daemon, tmp_path: Path) -> None:
    made = Project(wharfd, project_name("cfol"), tmp_path)
    try:
        made.add("a", "echo a starts; sleep 1; echo a ends")
        made.add("b", "echo b starts; sleep 1.5; echo b ends")
        out = made.compose("logs", "-f", timeout=30).stdout.decode().splitlines()
        assert sorted(out) == ["a-1  | a ends", "a-1  | a starts", "b-1  | b ends",
                               "b-1  | b starts"]
    finally:
        made.remove()


def test_logs_follow_picks_up_a_container_that_starts(wharfd: Daemon, tmp_path: Path) -> None:
    made = Project(wharfd, project_name("cpick"), tmp_path)
    try:
        made.add("a", "echo a up; sleep 3; echo a done")
        late = made.add("b", "echo b ran", start=False)
        proc = subprocess.Popen([WHARF, "compose", "-p", made.name, "logs", "-f"],
                                env=wharfd.docker_env(), cwd=tmp_path, stdout=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline() == b"a-1  | a up\n"  # following now
            with made.client() as client:
                client.containers.start(late)
            rest = proc.communicate(timeout=30)[0].decode().splitlines()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 0
        assert sorted(rest) == ["a-1  | a done", "b-1  | b ran"]
    finally:
        made.remove()


def test_logs_follow_ends_on_ctrl_c(project: Project) -> None:
    proc = subprocess.Popen([WHARF, "compose", "-p", project.name, "logs", "-f", "web"],
                            env=project.daemon.docker_env(), cwd=project.directory,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    try:
        project.compose("exec", "-T", "web", "sh", "-c", "echo hello > /proc/1/fd/1")
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"web-1  | hello\n"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130 and b"Traceback" not in err
