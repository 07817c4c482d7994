"""``wharf compose up``/``down`` against the fake engine: the requests sent, flag conflicts,
and the bounded waits on dependency conditions."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.unit.cli.conftest import Result

from wharf.cli.command import CommandFailed, Context, GlobalOptions
from wharf.cli.commands import compose_wait

COMPOSE = """
services:
  web:
    image: busybox:latest
    ports: ["8080:80"]
    depends_on: [db]
  db:
    image: busybox:latest
"""

Run = Callable[..., Result]


def _compose(wharf: Run, tmp_path: Path, *args: str, text: str = COMPOSE) -> Result:
    (tmp_path / "compose.yaml").write_text(text)
    return wharf("compose", "-p", "p", "-f", str(tmp_path / "compose.yaml"), *args)


def _fresh_engine(engine: Any, fake: Any) -> list[str]:
    created: list[str] = []
    engine.route("GET", r"/networks/.*", fake.Reply(404, {"message": "network not found"}))
    engine.route("POST", "/networks/create", {"Id": "n1"})
    engine.route("GET", r"/images/.*/json", {"Id": "sha256:img"})
    engine.route("GET", "/containers/json", [])

    def create(request: Any) -> Any:
        created.append(request.param("name"))
        return fake.Reply(201, {"Id": f"id-{request.param('name')}", "Warnings": []})

    engine.route("POST", "/containers/create", create)
    engine.route("POST", r"/containers/[^/]+/start", fake.Reply(204, b""))
    return created


def test_up_creates_network_then_containers_in_dependency_order(
        wharf: Run, engine: Any, fake: Any, tmp_path: Path) -> None:
    created = _fresh_engine(engine, fake)
    res = _compose(wharf, tmp_path, "up", "-d")
    assert res.status == 0, res.stderr
    assert created == ["p-db-1", "p-web-1"]
    assert res.stderr.splitlines() == [
        " Network p_default  Created", " Container p-db-1  Created",
        " Container p-web-1  Created", " Container p-db-1  Started",
        " Container p-web-1  Started"]
    network = engine.find("POST", "/networks/create")[0].json()
    assert network["Name"] == "p_default"
    assert network["Labels"]["com.docker.compose.network"] == "default"
    body = next(r.json() for r in engine.find("POST", "/containers/create")
                if r.param("name") == "p-web-1")
    assert body["HostConfig"]["PortBindings"] == {"80/tcp": [{"HostIp": "",
                                                             "HostPort": "8080"}]}
    assert body["Labels"]["com.docker.compose.service"] == "web"
    assert len(body["Labels"]["com.docker.compose.config-hash"]) == 64
    starts = [r.path for r in engine.requests if r.method == "POST" and r.path.endswith("start")]
    assert starts == ["/containers/id-p-db-1/start", "/containers/id-p-web-1/start"]


def test_tty_progress(wharf: Run, engine: Any, fake: Any, tmp_path: Path) -> None:
    _fresh_engine(engine, fake)
    res = _compose(wharf, tmp_path, "--progress", "tty", "up", "-d", "db")
    lines = res.stderr.split("\x1b[K\n")
    assert lines[0] == "[+] Running 1/1" and lines[1].startswith(" ✔ Network p_default  Created ")
    assert res.stderr.rstrip("\n").endswith("s\x1b[K")  # the block redrawn, times last


@pytest.mark.parametrize("args,message", [
    (("up", "-d", "--force-recreate", "--no-recreate"),
     "--force-recreate and --no-recreate are incompatible"),
    (("up", "-d", "nope"), "no such service: nope"),
    (("up", "-d", "--scale", "web=x"), "invalid scale 'web=x': expected SERVICE=NUMBER"),
    (("down", "--rmi", "some"), "invalid --rmi option 'some'"),
    (("run", "nope"), "no such service: nope"),
])
def test_refusals(wharf: Run, engine: Any, fake: Any, tmp_path: Path, args: tuple[str, ...],
                  message: str) -> None:
    _fresh_engine(engine, fake)
    res = _compose(wharf, tmp_path, *args)
    assert res.status == 1
    assert message in res.stderr


def test_unknown_flag_is_refused(wharf: Run, engine: Any, tmp_path: Path) -> None:
    res = _compose(wharf, tmp_path, "up", "--timestamps")
    assert res.status == 125
    assert "unknown flag: --timestamps" in res.stderr


def test_schema_error_names_file_service_field(wharf: Run, engine: Any, tmp_path: Path) -> None:
    res = _compose(wharf, tmp_path, "up", "-d",
                   text="services: {web: {image: x, ports: [{target: 80, app_protocol: h}]}}")
    assert res.status == 1
    assert res.stderr.strip().startswith(str(tmp_path / "compose.yaml"))
    assert "services.web.ports.0.app_protocol: not supported by wharf" in res.stderr


def _ctx(engine: Any) -> Context:
    return Context("compose up", GlobalOptions(), {"WHARF_HOST": engine.address},
                   io.BytesIO(), io.BytesIO(), io.BytesIO())


def _states(engine: Any, fake: Any, states: list[dict[str, Any]]) -> None:
    replies = itertools.chain(states, itertools.repeat(states[-1]))
    engine.route("GET", "/containers/c1/json",
                 lambda _r: fake.Reply(200, {"State": next(replies)}))


def test_wait_healthy_polls_until_healthy(engine: Any, fake: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compose_wait, "POLL", 0.01)
    starting = {"Running": True, "Health": {"Status": "starting"}}
    _states(engine, fake, [starting, starting, {"Running": True, "Health": {"Status": "healthy"}}])
    compose_wait.wait_healthy(_ctx(engine), [("c1", "p-db-1")], timeout=5)
    assert len(engine.find("GET", "/containers/c1/json")) == 3


@pytest.mark.parametrize("state,message", [
    ({"Running": True, "Health": {"Status": "unhealthy"}},
     "dependency failed to start: container p-db-1 is unhealthy"),
    ({"Running": True}, "container p-db-1 has no healthcheck configured"),
    ({"Running": False, "ExitCode": 2, "Health": {"Status": "starting"}},
     "dependency failed to start: container p-db-1 exited (2)"),
])
def test_wait_healthy_failures(engine: Any, fake: Any, state: dict[str, Any],
                               message: str) -> None:
    _states(engine, fake, [state])
    with pytest.raises(CommandFailed) as failed:
        compose_wait.wait_healthy(_ctx(engine), [("c1", "p-db-1")], timeout=5)
    assert failed.value.message == message


def test_wait_healthy_is_bounded(engine: Any, fake: Any,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compose_wait, "POLL", 0.01)
    _states(engine, fake, [{"Running": True, "Health": {"Status": "starting"}}])
    with pytest.raises(CommandFailed, match=r"did not become healthy in 0\.05s"):
        compose_wait.wait_healthy(_ctx(engine), [("c1", "p-db-1")], timeout=0.05)


def test_wait_completed(engine: Any, fake: Any) -> None:
    engine.route("POST", "/containers/c1/wait", {"StatusCode": 3})
    with pytest.raises(CommandFailed, match="service \"init\" didn't complete successfully: "
                                            "exit 3"):
        compose_wait.wait_completed(_ctx(engine), "init", [("c1", "p-init-1")])


def test_pull_skips_services_that_only_build(wharf: Run, engine: Any, fake: Any,
                                             tmp_path: Path) -> None:
    engine.route("POST", "/images/create", fake.Reply(200, chunks=[b'{"status":"done"}\n']))
    res = _compose(wharf, tmp_path, "pull", "-q",
                   text="services: {a: {image: 'reg.example/x:1'}, b: {build: .}}")
    assert res.status == 0, res.stderr
    pulls = engine.find("POST", "/images/create")
    assert [(r.param("fromImage"), r.param("tag")) for r in pulls] == [("reg.example/x", "1")]


def test_existing_foreign_network_is_warned(wharf: Run, engine: Any, fake: Any,
                                            tmp_path: Path) -> None:
    _fresh_engine(engine, fake)
    engine.route("GET", "/networks/p_default", {"Name": "p_default", "Labels": {}})
    res = _compose(wharf, tmp_path, "up", "-d", "db")
    assert "a network with name p_default exists but was not created by compose" in res.stderr
    assert engine.find("POST", "/networks/create") == []


def test_down_with_only_a_project_name(wharf: Run, engine: Any, fake: Any,
                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no compose file here
    engine.route("GET", "/containers/json", [
        {"Id": "c1", "Names": ["/p-web-1"], "State": "running",
         "Labels": {"com.docker.compose.project": "p", "com.docker.compose.service": "web"}},
        {"Id": "c2", "Names": ["/p-web-run-abc"], "State": "exited",
         "Labels": {"com.docker.compose.project": "p", "com.docker.compose.oneoff": "True",
                    "com.docker.compose.service": "web"}}])
    engine.route("POST", "/containers/c1/stop", fake.Reply(204, b""))
    engine.route("DELETE", r"/containers/c[12]", fake.Reply(204, b""))
    engine.route("GET", "/networks", [{"Id": "n1", "Name": "p_default"}])
    engine.route("DELETE", "/networks/n1", fake.Reply(204, b""))
    res = wharf("compose", "-p", "p", "down")
    assert res.status == 0, res.stderr
    assert res.stderr.splitlines() == [
        " Container p-web-1  Stopped", " Container p-web-1  Removed",
        " Container p-web-run-abc  Removed", " Network p_default  Removed"]
    listed = engine.find("GET", "/containers/json")[0]
    assert "com.docker.compose.project=p" in listed.param("filters")


def test_config_variables(wharf: Run, engine: Any, tmp_path: Path) -> None:
    res = _compose(wharf, tmp_path, "config", text="services: {a: {image: 'x:${NOPE}'}}")
    assert res.status == 0
    assert ('compose.yaml: services.a.image: The "NOPE" variable is not set. Defaulting to a '
            'blank string.') in res.stderr and res.stderr.startswith("WARN[0000] ")
    assert "image: 'x:'" in res.stdout
    res = _compose(wharf, tmp_path, "config", "-q",
                   text="services: {a: {image: '${NOPE:?set it}'}}")
    assert res.status == 1
    assert "services.a.image: required variable NOPE is missing a value: set it" in res.stderr
    res = _compose(wharf, tmp_path, "config", "--services",
                   text="services: {b: {image: x, profiles: [p]}, a: {image: x}}")
    assert res.stdout.split() == ["a"]


def test_scale_field_and_flag(wharf: Run, engine: Any, fake: Any, tmp_path: Path) -> None:
    created = _fresh_engine(engine, fake)
    text = "services: {a: {image: x, scale: 2}, b: {image: x, scale: 3}}"
    res = _compose(wharf, tmp_path, "up", "-d", "--scale", "b=1", text=text)
    assert res.status == 0, res.stderr
    assert created == ["p-a-1", "p-a-2", "p-b-1"]


def test_pull_policies(wharf: Run, engine: Any, fake: Any, tmp_path: Path) -> None:
    _fresh_engine(engine, fake)
    engine.route("POST", "/images/create", fake.Reply(200, chunks=[b'{"status":"done"}\n']))
    res = _compose(wharf, tmp_path, "up", "-d", text="services: {a: {image: x, "
                                                     "pull_policy: always}}")
    assert res.status == 0, res.stderr
    assert len(engine.find("POST", "/images/create")) == 1
    engine.route("GET", r"/images/.*/json", fake.Reply(404, {"message": "No such image: x"}))
    res = _compose(wharf, tmp_path, "up", "-d", "--pull", "never",
                   text="services: {a: {image: x}}")
    assert res.status == 1
    assert "service 'a': image x is missing and its pull policy is never" in res.stderr
    res = _compose(wharf, tmp_path, "up", "-d", "--pull", "sometimes",
                   text="services: {a: {image: x}}")
    assert res.status == 1 and "invalid --pull option 'sometimes'" in res.stderr


def _run_body(wharf: Run, engine: Any, fake: Any, tmp_path: Path, *args: str) -> Any:
    _fresh_engine(engine, fake)
    res = _compose(wharf, tmp_path, "run", "-d", *args, "web", "true",
                   text="services: {web: {image: x, ports: ['8080:80']}}")
    assert res.status == 0, res.stderr
    assert res.stdout.startswith("p-web-run-")
    return engine.find("POST", "/containers/create")[-1].json()


def test_run_ports(wharf: Run, engine: Any, fake: Any, tmp_path: Path) -> None:
    body = _run_body(wharf, engine, fake, tmp_path)
    assert body["HostConfig"]["PortBindings"] == {}
    assert body["Labels"]["com.docker.compose.oneoff"] == "True"
    assert body["Cmd"] == ["true"]
    body = _run_body(wharf, engine, fake, tmp_path, "--service-ports", "-p", "9000:90")
    assert body["HostConfig"]["PortBindings"] == {
        "80/tcp": [{"HostIp": "", "HostPort": "8080"}],
        "90/tcp": [{"HostIp": "", "HostPort": "9000"}]}


def test_build_flags(wharf: Run, engine: Any, fake: Any, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    engine.route("POST", "/build", fake.Reply(200, chunks=[b'{"stream":"ok\\n"}\n']))
    engine.route("GET", r"/images/.*/json", {"Id": "sha256:img"})
    res = _compose(wharf, tmp_path, "build", "--no-cache", "--pull",
                   text="services: {a: {build: {context: ., args: {V: '1'}, target: t}}}")
    assert res.status == 0, res.stderr
    query = engine.find("POST", "/build")[0]
    assert (query.param("t"), query.param("nocache"), query.param("pull"),
            query.param("target")) == ("p-a", "1", "1", "t")
    assert query.param("buildargs") == '{"V": "1"}'


def test_no_build(wharf: Run, engine: Any, fake: Any, tmp_path: Path) -> None:
    _fresh_engine(engine, fake)
    engine.route("GET", r"/images/.*/json", fake.Reply(404, {"message": "No such image"}))
    res = _compose(wharf, tmp_path, "up", "-d", "--no-build", text="services: {a: {build: .}}")
    assert res.status == 1
    assert "service 'a': image p-a is missing and --no-build was given" in res.stderr
    assert engine.find("POST", "/build") == []
    res = _compose(wharf, tmp_path, "up", "-d", "--build", "--no-build",
                   text="services: {a: {build: .}}")
    assert res.status == 1 and "--build and --no-build are incompatible" in res.stderr
