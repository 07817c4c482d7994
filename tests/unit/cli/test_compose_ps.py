"""``wharf compose ps`` and ``ls``: compose v2's columns and JSON, status filters, the state
counts of ``ls``, against the fake engine."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from wharf.cli.commands.compose_ps import ComposeContainerRow, _stacks
from wharf.compose import labels


def container(service: str, number: int, state: str = "running", status: str = "Up 2 seconds",
              project: str = "p", ports: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"Id": f"{service}{number}".ljust(64, "0"), "Image": "busybox",
            "Command": "sh -c 'while :; do sleep 1; done'", "Created": time.time() - 4,
            "State": state, "Status": status, "Names": [f"/{project}-{service}-{number}"],
            "Ports": ports or [], "Mounts": [], "NetworkSettings": {"Networks": {}},
            "Labels": {labels.PROJECT: project, labels.SERVICE: service,
                       labels.NUMBER: str(number), labels.CONFIG_FILES: "/srv/p/compose.yaml"}}


@pytest.fixture(autouse=True)
def no_file_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_ps_table_in_compose_columns(wharf: Any, engine: Any) -> None:
    web = container("web", 1, ports=[{"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080,
                                      "Type": "tcp"}])
    engine.route("GET", "/containers/json", [web, container("db", 1)])
    result = wharf("compose", "-p", "p", "ps")
    assert result.status == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS",
                                "PORTS"]
    assert [line.split()[0] for line in lines[1:]] == ["p-db-1", "p-web-1"]
    assert lines[2].startswith('p-web-1   busybox   "sh -c \'while :; do …"   web       ')
    assert lines[2].rstrip().endswith("0.0.0.0:8080->80/tcp")
    request = engine.find("GET", "/containers/json")[0]
    assert request.param("all") is None
    assert json.loads(request.param("filters") or "{}") == {"label": {
        f"{labels.PROJECT}=p": True, f"{labels.ONEOFF}=False": True}}


def test_ps_all_takes_one_off_containers_too(wharf: Any, engine: Any) -> None:
    engine.route("GET", "/containers/json", [])
    wharf("compose", "-p", "p", "ps", "-a")
    request = engine.find("GET", "/containers/json")[0]
    assert request.param("all") == "1"
    assert json.loads(request.param("filters") or "{}") == {"label": {
        f"{labels.PROJECT}=p": True}}


def test_ps_status_filters_quiet_and_services(wharf: Any, engine: Any) -> None:
    engine.route("GET", "/containers/json", [
        container("web", 2), container("web", 1),
        container("job", 1, "exited", "Exited (3) 1 second ago")])
    assert wharf("compose", "-p", "p", "ps", "--services").stdout == "job\nweb\n"
    quiet = wharf("compose", "-p", "p", "ps", "-q", "--status", "exited").stdout
    assert quiet == "job1".ljust(64, "0") + "\n"
    same = wharf("compose", "-p", "p", "ps", "-q", "--filter", "status=exited").stdout
    assert same == quiet
    bad = wharf("compose", "-p", "p", "ps", "--filter", "name=x")
    assert bad.status == 1 and bad.stderr == "unknown filter name\n"
    wrong = wharf("compose", "-p", "p", "ps", "--status", "sleeping")
    assert wrong.status == 125 and "invalid value for --status: sleeping" in wrong.stderr


def test_ps_json_has_compose_fields(wharf: Any, engine: Any) -> None:
    engine.route("GET", "/containers/json", [
        container("job", 1, "exited", "Exited (3) 1 second ago")])
    [line] = wharf("compose", "-p", "p", "ps", "-a", "--format", "json").stdout.splitlines()
    row = json.loads(line)
    assert row["Name"] == "p-job-1" and row["Service"] == "job" and row["Project"] == "p"
    assert row["ExitCode"] == 3 and row["State"] == "exited" and row["Health"] == ""
    assert row["Publishers"] == []
    templated = wharf("compose", "-p", "p", "ps", "-a", "--format", "{{.Service}}:{{.Name}}")
    assert templated.stdout == "job:p-job-1\n"


def test_row_health_and_publishers() -> None:
    data = container("web", 1, status="Up 3 minutes (health: starting)",
                     ports=[{"PrivatePort": 53, "Type": "udp"}])
    row = ComposeContainerRow(data)
    assert row.Health() == "starting" and row.ExitCode() == 0
    assert row.Publishers() == [{"URL": "", "TargetPort": 53, "PublishedPort": 0,
                                 "Protocol": "udp"}]
    assert ComposeContainerRow(container("a", 1, status="Up 1 second (unhealthy)")).Health() \
        == "unhealthy"


def test_ls_counts_states_sorted_by_name() -> None:
    stacks = _stacks([container("web", 1, project="b"), container("db", 1, "exited", project="b"),
                      container("web", 2, project="b"), container("x", 1, project="a")])
    assert stacks == [
        {"Name": "a", "Status": "running(1)", "ConfigFiles": "/srv/p/compose.yaml"},
        {"Name": "b", "Status": "exited(1), running(2)", "ConfigFiles": "/srv/p/compose.yaml"}]


def test_ls_table_json_quiet_and_filter(wharf: Any, engine: Any) -> None:
    engine.route("GET", "/containers/json", [container("web", 1, project="shop"),
                                             container("web", 1, project="blog")])
    table = wharf("compose", "ls").stdout.splitlines()
    assert table[0] == "NAME                STATUS              CONFIG FILES"
    assert table[1] == "blog                running(1)          /srv/p/compose.yaml"
    request = engine.find("GET", "/containers/json")[0]
    assert json.loads(request.param("filters") or "{}") == {"label": {labels.PROJECT: True}}
    assert wharf("compose", "ls", "-q", "--filter", "name=sh").stdout == "shop\n"
    data = json.loads(wharf("compose", "ls", "--format", "json").stdout)
    assert [s["Name"] for s in data] == ["blog", "shop"]
    assert wharf("compose", "ls", "--filter", "label=x").status == 1
