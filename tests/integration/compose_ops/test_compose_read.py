"""``wharf compose ps|logs|exec|top|port|images|ls`` against a real wharfd, on a project made
as ``up`` makes one (Compose's labels and names): web (a published port) and db running, job
exited with status 3."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.compose_ops.project import (
    TRAP,
    WHARF,
    Project,
    free_port,
    project_name,
)
from tests.support.daemons import Daemon
from tests.support.ptyrun import run_on_pty

LOOP = "while :; do sleep 0.2; done"


@pytest.fixture(scope="module")
def project(wharfd: Daemon, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    made = Project(wharfd, project_name("cops"), tmp_path_factory.mktemp("cops"))
    made.write_file({"db": [], "web": ["db"], "job": []})
    try:
        made.add("db", f"{TRAP}echo db ready; echo db line2; {LOOP}")
        made.add("web", f"{TRAP}echo web says hi; echo web err >&2; {LOOP}",
                 ports={"80/tcp": free_port()})
        made.wait_exited(made.add("job", "echo job done; exit 3"))
        other = Project(wharfd, project_name("oth"), made.directory)  # never listed with made
        try:
            other.add("web", f"{TRAP}{LOOP}")
            yield made
        finally:
            other.remove()
    finally:
        made.remove()


def test_ps_lists_running_containers_in_compose_columns(project: Project) -> None:
    lines = project.compose("ps").stdout.decode().splitlines()
    assert re.split(r"\s{2,}", lines[0]) == ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED",
                                             "STATUS", "PORTS"]
    names = [line.split()[0] for line in lines[1:]]
    assert names == [f"{project.name}-db-1", f"{project.name}-web-1"]
    web = lines[2]
    assert " web " in web and "Up " in web and re.search(r"127\.0\.0\.1:\d+->80/tcp", web)


def test_ps_all_quiet_services_status_and_json(project: Project) -> None:
    every = project.compose("ps", "-a").stdout.decode()
    assert f"{project.name}-job-1" in every and "Exited (3)" in every
    quiet = project.compose("ps", "-a", "-q").stdout.decode().split()
    assert sorted(quiet) == sorted(project.ids.values())
    assert project.compose("ps", "--services").stdout == b"db\nweb\n"
    exited = project.compose("ps", "--status", "exited", "-q").stdout.decode().split()
    assert exited == [project.ids[f"{project.name}-job-1"]]
    same = project.compose("ps", "--filter", "status=exited", "-q").stdout.decode().split()
    assert same == exited
    rows = [json.loads(line) for line in
            project.compose("ps", "-a", "--format", "json").stdout.decode().splitlines()]
    job = next(r for r in rows if r["Service"] == "job")
    assert job["Name"] == f"{project.name}-job-1" and job["Project"] == project.name
    assert job["State"] == "exited" and job["ExitCode"] == 3
    web = next(r for r in rows if r["Service"] == "web")
    assert web["Publishers"][0]["TargetPort"] == 80
    assert web["Publishers"][0]["PublishedPort"] > 0


def test_one_off_containers_only_with_all(project: Project) -> None:
    ident = project.add("web", "true", number=0xabc, start=False, oneoff=True)
    try:
        assert ident not in project.compose("ps", "-q").stdout.decode().split()
        assert ident in project.compose("ps", "-a", "-q").stdout.decode().split()
        logs = project.compose("logs", "--no-color").stdout.decode()
        assert "run-" not in logs
    finally:
        with project.client() as client:
            client.containers.remove(ident, force=True)
        del project.ids[f"{project.name}-web-run-{0xabc:012x}"]


def test_service_names_are_checked_against_the_file(project: Project) -> None:
    res = project.compose("ps", "nosuch", check=False)
    assert res.returncode == 1 and b"no such service: nosuch" in res.stderr
    assert project.compose("ps", "-q", "web").stdout.decode().split() == [
        project.ids[f"{project.name}-web-1"]]


def test_without_a_file_the_project_name_is_enough(project: Project, tmp_path: Path) -> None:
    alone = Project(project.daemon, project.name, tmp_path)
    listed = alone.compose("ps", "--services").stdout
    assert listed == b"db\nweb\n"


def test_logs_prefix_every_line_with_the_container(project: Project) -> None:
    out = project.compose("logs", "--no-color").stdout.decode().splitlines()
    assert set(out) == {"db-1   | db ready", "db-1   | db line2", "job-1  | job done",
                        "web-1  | web says hi", "web-1  | web err"}
    assert project.compose("logs", "--tail", "1", "db").stdout == b"db-1  | db line2\n"
    bare = project.compose("logs", "--no-log-prefix", "job").stdout
    assert bare == b"job done\n"


def test_logs_colours_only_when_asked(project: Project) -> None:
    coloured = project.compose("--ansi", "always", "logs", "job").stdout
    assert coloured == b"\x1b[36mjob-1  | \x1b[0mjob done\n"
    plain = project.compose("logs", "job").stdout
    assert plain == b"job-1  | job done\n"


def test_exec_status_env_and_no_tty(project: Project) -> None:
    res = project.compose("exec", "-T", "web", "sh", "-c", "exit 7", check=False)
    assert res.returncode == 7
    env = project.compose("exec", "-e", "FOO=bar", "db", "sh", "-c", "echo $FOO")
    assert env.stdout == b"bar\n"  # no TTY: stdin is not one, so no \r\n
    missing = project.compose("exec", "job", "true", check=False)
    assert missing.returncode == 1 and b'service "job" is not running' in missing.stderr


def test_exec_has_a_tty_when_stdin_is_one_unless_T(project: Project) -> None:
    argv = [WHARF, "compose", "-f", str(project.file), "-p", project.name, "exec"]
    env = project.daemon.docker_env()
    on_tty = run_on_pty([*argv, "web", "sh", "-c", "tty; exit 4"], [], env)
    assert on_tty.returncode == 4 and b"/dev/pts/" in on_tty.output
    without = run_on_pty([*argv, "-T", "web", "tty"], [], env)
    assert without.returncode == 1 and b"not a tty" in without.output


def test_top_lists_processes_by_service(project: Project) -> None:
    lines = project.compose("top").stdout.decode().splitlines()
    assert lines[0].split()[:2] == ["SERVICE", "#"] and lines[0].split()[-1] == "CMD"
    services = {line.split()[0] for line in lines[1:]}
    assert services == {"db", "web"}


def test_port_prints_the_published_address(project: Project) -> None:
    out = project.compose("port", "web", "80").stdout.decode().strip()
    assert re.fullmatch(r"127\.0\.0\.1:\d+", out)
    res = project.compose("port", "web", "81", check=False)
    assert res.returncode == 1 and b"no port 81/tcp for container" in res.stderr


def test_images_of_the_containers(project: Project) -> None:
    lines = project.compose("images").stdout.decode().splitlines()
    assert re.split(r"\s{2,}", lines[0]) == ["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID",
                                             "SIZE"]
    assert [line.split()[:3] for line in lines[1:]] == [
        [f"{project.name}-{s}-1", "busybox", "latest"] for s in ("db", "job", "web")]
    assert len(project.compose("images", "-q").stdout.decode().split()) == 1


def test_ls_counts_states_per_project(project: Project) -> None:
    running = project.compose("ls", "--filter", f"name={project.name}").stdout.decode()
    lines = running.splitlines()
    assert re.split(r"\s{2,}", lines[0]) == ["NAME", "STATUS", "CONFIG FILES"]
    assert lines[1].split() == [project.name, "running(2)", str(project.file)]
    every = json.loads(project.compose("ls", "-a", "--format", "json").stdout)
    mine = next(s for s in every if s["Name"] == project.name)
    assert mine["Status"] == "exited(1), running(2)"
    assert project.compose("ls", "-q").stdout.decode().split().count(project.name) == 1
