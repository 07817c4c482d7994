"""The compose operations over a project's containers: the order of ``depends_on`` levels,
``rm``'s question, ``exec``'s flags, ``top``'s table, ``port`` and ``version``; against the
fake engine where the daemon is asked."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from wharf.cli.command import CommandFailed, Context, GlobalOptions
from wharf.cli.commands.compose_ops_exec import EXEC, docker_exec_options
from wharf.cli.commands.compose_ops_info import tabulate, top_table
from wharf.cli.commands.compose_ops_target import Target, in_levels, pick_container, short_name
from wharf.cli.flags import FlagParser
from wharf.compose import labels
from wharf.compose.model import Project
from wharf.compose.model_parts import Dependency
from wharf.compose.model_service import Service


def _container(service: str, number: int = 1, state: str = "running") -> dict[str, Any]:
    return {"Id": f"{service}{number}", "Names": [f"/p-{service}-{number}"], "State": state,
            "Ports": [], "Labels": {labels.PROJECT: "p", labels.SERVICE: service,
                                    labels.NUMBER: str(number)}}


def _context() -> tuple[Context, io.BytesIO]:
    err = io.BytesIO()
    return Context("compose stop", GlobalOptions(), {}, io.BytesIO(), io.BytesIO(), err), err


def test_levels_follow_depends_on() -> None:
    services = {"db": Service("db"), "cache": Service("cache"),
                "web": Service("web", depends_on={"db": Dependency(), "cache": Dependency()}),
                "proxy": Service("proxy", depends_on={"web": Dependency()})}
    target = Target("p", Project("p", services))
    found = [_container(s) for s in ("proxy", "web", "db", "cache")]
    levels = [[c["Id"] for c in level] for level in in_levels(target, found)]
    assert levels == [["db1", "cache1"], ["web1"], ["proxy1"]]
    backwards = [[c["Id"] for c in level] for level in in_levels(target, found, reverse=True)]
    assert backwards == [["proxy1"], ["web1"], ["db1", "cache1"]]
    assert len(in_levels(Target("p"), found)) == 1  # no file: all at once


def test_names_and_replicas() -> None:
    assert short_name(_container("web", 2), "p") == "web-2"
    found = [_container("web", 2), _container("web", 1)]
    assert pick_container(found, "web", 0)["Id"] == "web1"
    assert pick_container(found, "web", 2)["Id"] == "web2"
    with pytest.raises(CommandFailed, match='service "web" is not running container #3'):
        pick_container(found, "web", 3)
    with pytest.raises(CommandFailed, match='service "db" is not running'):
        pick_container(found, "db", 0)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_stop_goes_dependents_first_with_the_grace_period(wharf: Any, engine: Any, fake: Any,
                                                          here: Path) -> None:
    (here / "compose.yaml").write_text(
        "services:\n  db:\n    image: busybox\n    stop_grace_period: 3s\n"
        "  web:\n    image: busybox\n    depends_on: [db]\n")
    engine.route("GET", "/containers/json", [_container("db"), _container("web")])
    engine.route("POST", "/containers/[^/]+/stop", fake.Reply(status=204))
    result = wharf("compose", "-p", "p", "stop")
    assert result.status == 0, result.stderr
    stops = [p for p in engine.paths() if p.endswith("/stop")]
    assert stops == ["POST /containers/web1/stop", "POST /containers/db1/stop"]
    assert engine.find("POST", "/containers/db1/stop")[0].param("t") == "3"
    assert engine.find("POST", "/containers/web1/stop")[0].param("t") is None
    assert result.stderr.splitlines()[-1] == " Container p-db-1  Stopped"
    unknown = wharf("compose", "stop", "nosuch")
    assert unknown.status == 1 and unknown.stderr == "no such service: nosuch\n"


def test_no_file_and_no_name_is_compose_error(wharf: Any, here: Path) -> None:
    result = wharf("compose", "ps")
    assert result.status == 1
    assert result.stderr == "no configuration file provided: not found\n"


def test_failures_are_reported_after_the_progress(wharf: Any, engine: Any, fake: Any,
                                                  here: Path) -> None:
    engine.route("GET", "/containers/json", [_container("web")])
    engine.route("POST", "/containers/[^/]+/kill",
                 fake.Reply(status=409, body={"message": "Container web1 is not running"}))
    result = wharf("compose", "-p", "p", "kill", "-s", "HUP")
    assert result.status == 1
    assert result.stderr.splitlines() == [" Container p-web-1  Killing",
                                          " Container p-web-1  Error",
                                          "Error response from daemon: Container web1 is not "
                                          "running"]
    assert engine.find("POST", "/containers/web1/kill")[0].param("signal") == "HUP"


def test_rm_asks_first_and_removes_only_stopped(wharf: Any, engine: Any, fake: Any,
                                                here: Path) -> None:
    engine.route("GET", "/containers/json", [_container("web"), _container("db", 1, "exited")])
    engine.route("DELETE", "/containers/[^/]+", fake.Reply(status=204))
    no = wharf("compose", "-p", "p", "rm", stdin=b"\n")
    assert no.stdout == "? Going to remove p-db-1 (y/N) " and not engine.find(
        "DELETE", "/containers/db1")
    yes = wharf("compose", "-p", "p", "rm", "-v", stdin=b"yes\n")
    assert yes.status == 0 and yes.stderr.splitlines()[-1] == " Container p-db-1  Removed"
    assert engine.find("DELETE", "/containers/db1")[0].param("v") == "1"
    assert not engine.find("DELETE", "/containers/web1")


def test_exec_flags_become_docker_exec_flags() -> None:
    parsed = FlagParser(EXEC.flags, interspersed=False).parse(
        ["-T", "-e", "A=1", "-u", "nobody", "-w", "/tmp", "--index", "2", "web", "ls", "-l"])
    mapped = docker_exec_options(parsed, "abc", stdin_is_tty=True)
    assert mapped.args == ["abc", "ls", "-l"]
    assert mapped["tty"] is False and mapped["interactive"] is True
    assert mapped["env"] == ["A=1"] and mapped["user"] == "nobody" and mapped["workdir"] == "/tmp"
    tty = docker_exec_options(FlagParser(EXEC.flags, False).parse(["web", "sh"]), "abc", True)
    assert tty["tty"] is True
    piped = docker_exec_options(FlagParser(EXEC.flags, False).parse(["web", "sh"]), "abc", False)
    assert piped["tty"] is False


def test_exec_sends_the_command_to_the_service_container(wharf: Any, engine: Any, fake: Any,
                                                         here: Path) -> None:
    engine.route("GET", "/containers/json", [_container("web", 1), _container("web", 2)])
    engine.route("POST", "/containers/web2/exec", fake.Reply(status=201, body={"Id": "e1"}))
    engine.route("POST", "/exec/e1/start", fake.Reply(status=204))
    result = wharf("compose", "-p", "p", "exec", "-d", "--index", "2", "-e", "X=y", "web",
                   "touch", "/x")
    assert result.status == 0, result.stderr
    config = engine.find("POST", "/containers/web2/exec")[0].json()
    assert config["Cmd"] == ["touch", "/x"] and config["Env"] == ["X=y"]
    assert config["Tty"] is False


def test_top_table_puts_cmd_last_and_fills_gaps() -> None:
    lines = top_table([
        ("db", 1, {"Titles": ["UID", "PID", "CMD"], "Processes": [["root", "10", "sleep 1"]]}),
        ("web", 2, {"Titles": ["PID", "CMD", "TIME"], "Processes": [["20", "sh", "0:00"]]})])
    assert lines == ["SERVICE\t#\tUID\tPID\tTIME\tCMD", "db\t1\troot\t10\t-\tsleep 1",
                     "web\t2\t-\t20\t0:00\tsh"]
    assert tabulate(["A\tBB\tC", "xxxxx\ty\tz"]) == ["A      BB  C", "xxxxx  y   z"]
    assert top_table([("db", 1, {"Titles": ["PID"], "Processes": []})]) == []


def test_port_and_version(wharf: Any, engine: Any, here: Path) -> None:
    web = dict(_container("web"), Ports=[
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"}])
    engine.route("GET", "/containers/json", [web])
    assert wharf("compose", "-p", "p", "port", "web", "80").stdout == "0.0.0.0:8080\n"
    udp = wharf("compose", "-p", "p", "port", "--protocol", "udp", "web", "80")
    assert udp.status == 1
    assert udp.stderr == "no port 80/udp for container p-web-1: 8080/tcp, 8080/tcp\n"
    other = wharf("compose", "-p", "p", "port", "--index", "2", "web", "80")
    assert other.stderr == "no container found for web-2\n"
    assert wharf("compose", "-p", "p", "port", "web", "http").status == 1
    assert wharf("compose", "version").stdout == "wharf compose version 0.1.0\n"
    assert wharf("compose", "version", "--short").stdout == "0.1.0\n"
    assert json.loads(wharf("compose", "version", "-f", "json").stdout) == {"version": "0.1.0"}


def test_containers_are_checked_against_their_labels(wharf: Any, engine: Any, here: Path) -> None:
    foreign = dict(_container("web"), Id="other", Names=["/q-web-1"],
                   Labels={labels.PROJECT: "q", labels.SERVICE: "web", labels.NUMBER: "1"})
    one_off = dict(_container("web", 5), Labels={**_container("web")["Labels"],
                                                labels.ONEOFF: "True"})
    engine.route("GET", "/containers/json", [_container("web"), foreign, one_off])
    assert wharf("compose", "-p", "p", "ps", "-q").stdout.split() == ["web1"]
    assert wharf("compose", "-p", "p", "ps", "-a", "-q").stdout.split() == ["web1", "web5"]


def test_images_of_the_containers_even_a_removed_one(wharf: Any, engine: Any, fake: Any,
                                                     here: Path) -> None:
    engine.route("GET", "/containers/json", [dict(_container("web"), ImageID="sha256:" + "a" * 64),
                                             dict(_container("db"), ImageID="sha256:" + "b" * 64)])
    engine.route("GET", "/images/sha256:a+/json", {
        "Id": "sha256:" + "a" * 64, "RepoTags": ["localhost:5000/shop/web:2.1"], "Size": 2_000_000})
    engine.route("GET", "/images/sha256:b+/json",
                 fake.Reply(status=404, body={"message": "No such image: sha256:bbb"}))
    table = wharf("compose", "-p", "p", "images")
    assert table.status == 0, table.stderr
    assert [line.split() for line in table.stdout.splitlines()] == [
        ["CONTAINER", "REPOSITORY", "TAG", "IMAGE", "ID", "SIZE"],
        ["p-db-1", "<none>", "<none>", "bbbbbbbbbbbb", "0B"],
        ["p-web-1", "localhost:5000/shop/web", "2.1", "aaaaaaaaaaaa", "2MB"]]
    assert table.stdout.index("TAG") == table.stdout.index("REPOSITORY") + 26  # 23 + 3
    assert wharf("compose", "-p", "p", "images", "-q").stdout == f"{'b' * 64}\n{'a' * 64}\n"
    rows = json.loads(wharf("compose", "-p", "p", "images", "--format", "json").stdout)
    assert rows[1] == {"ID": "sha256:" + "a" * 64, "ContainerName": "p-web-1",
                       "Repository": "localhost:5000/shop/web", "Tag": "2.1", "Size": 2000000}
