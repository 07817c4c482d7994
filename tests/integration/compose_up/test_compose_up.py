"""``wharf compose up/down`` of a small project against a real wharfd: names and labels,
name resolution between services, a published port, recreation of what changed only,
``--scale``, and ``down -v`` removing everything, also after a failed ``up``."""

from __future__ import annotations

import json
import time
import urllib.request

from tests.integration.compose_up.conftest import ComposeProject, free_port

PROJECT = """
services:
  web:
    image: busybox:latest
    command: ["sh", "-c", "mkdir -p /www && echo hello-from-web > /www/index.html
                && exec httpd -f -p 80 -h /www"]
    ports: ["127.0.0.1:{port}:80"]
    volumes: ["data:/data"]
    networks: [default, back]
    depends_on: [db]
    stop_grace_period: 1s
  db:
    image: busybox:latest
    command: ["sleep", "{sleep}"]
    networks: [back]
    volumes: ["/scratch"]
    stop_grace_period: 1s
networks:
  back: {{}}
volumes:
  data: {{}}
"""


def _write(project: ComposeProject, port: int, sleep: int = 3600) -> None:
    project.write(PROJECT.format(port=port, sleep=sleep))


def _containers(project: ComposeProject) -> dict[str, dict[str, object]]:
    return {str(c["Names"][0]).lstrip("/"): c  # type: ignore[index]
            for c in project.labelled("containers")}


def _http_get(url: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return str(resp.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_up_names_labels_dns_port_recreate_scale_down(project: ComposeProject) -> None:
    port = free_port()
    _write(project, port)
    up = project.compose("up", "-d")
    assert f"Network {project.name}_default  Created" in up.stderr
    assert f"Container {project.name}-web-1  Started" in up.stderr
    found = _containers(project)
    web, db = f"{project.name}-web-1", f"{project.name}-db-1"
    assert set(found) == {web, db}
    labels = found[web]["Labels"]
    assert isinstance(labels, dict)
    assert labels["com.docker.compose.project"] == project.name
    assert labels["com.docker.compose.service"] == "web"
    assert labels["com.docker.compose.container-number"] == "1"
    assert labels["com.docker.compose.oneoff"] == "False"
    assert labels["com.docker.compose.depends_on"] == "db:service_started:false"
    assert len(labels["com.docker.compose.config-hash"]) == 64
    assert labels["com.docker.compose.project.working_dir"] == str(project.directory)
    assert {n["Name"] for n in project.labelled("networks")} == {  # type: ignore[index]
        f"{project.name}_default", f"{project.name}_back"}
    assert [v["Name"] for v in project.labelled("volumes")] == [  # type: ignore[index]
        f"{project.name}_data"]

    assert _http_get(f"http://127.0.0.1:{port}/").strip() == "hello-from-web"
    fetched = project.daemon.docker("exec", db, "wget", "-qO-", "http://web/")
    assert fetched.stdout.decode().strip() == "hello-from-web"

    again = project.compose("up", "-d")
    assert f"Container {web}  Running" in again.stderr
    assert {n: c["Id"] for n, c in _containers(project).items()} == {
        n: c["Id"] for n, c in found.items()}

    project.daemon.docker("exec", db, "sh", "-c", "echo kept > /scratch/f")
    _write(project, port, sleep=3601)
    recreated = project.compose("up", "-d")
    assert f"Container {db}  Recreated" in recreated.stderr
    after = _containers(project)
    assert after[web]["Id"] == found[web]["Id"]
    assert after[db]["Id"] != found[db]["Id"]
    shown = project.daemon.docker("exec", db, "cat", "/scratch/f")
    assert shown.stdout.decode().strip() == "kept"  # the anonymous volume carried over
    project.compose("up", "-d", "--force-recreate", "-V", "db")
    renewed = project.daemon.docker("exec", db, "cat", "/scratch/f", check=False)
    assert renewed.returncode != 0  # -V: a fresh anonymous volume

    project.compose("up", "-d", "--scale", "db=2")
    assert set(_containers(project)) == {web, db, f"{project.name}-db-2"}
    project.compose("up", "-d", "--scale", "db=1")
    assert set(_containers(project)) == {web, db}

    down = project.compose("down", "-v", "-t", "1")
    assert f"Container {web}  Removed" in down.stderr
    assert project.labelled("containers") == []
    assert project.labelled("networks") == []
    assert project.labelled("volumes") == []


FAILING = """
services:
  a:
    image: busybox:latest
    command: ["sleep", "3600"]
    volumes: ["kept:/kept"]
  b:
    image: busybox:latest
    depends_on: [a]
    volumes: [{type: bind, source: /nonexistent/wharf-compose-test, target: /x,
               bind: {create_host_path: false}}]
volumes:
  kept: {}
"""


def test_down_after_failed_up_removes_everything(project: ComposeProject) -> None:
    project.write(FAILING)
    failed = project.compose("up", "-d", check=False)
    assert failed.returncode != 0
    assert f"{project.name}-a-1" in _containers(project)
    assert project.labelled("networks") and project.labelled("volumes")
    project.compose("down", "-v", "-t", "1")
    assert project.labelled("containers") == []
    assert project.labelled("networks") == []
    assert project.labelled("volumes") == []


def test_orphans_warned_then_removed(project: ComposeProject) -> None:
    project.write("services: {a: {image: busybox:latest, command: [sleep, '3600'], "
                  "stop_grace_period: 1s}, b: {image: busybox:latest, "
                  "command: [sleep, '3600'], stop_grace_period: 1s}}\n")
    project.compose("up", "-d")
    project.write("services: {a: {image: busybox:latest, command: [sleep, '3600'], "
                  "stop_grace_period: 1s}}\n")
    warned = project.compose("up", "-d")
    assert f"Found orphan containers ([{project.name}-b-1])" in warned.stderr
    assert f"{project.name}-b-1" in _containers(project)
    project.compose("up", "-d", "--remove-orphans")
    assert set(_containers(project)) == {f"{project.name}-a-1"}


def test_run_one_off(project: ComposeProject) -> None:
    project.write("services: {tool: {image: busybox:latest, environment: {A: from-file}}}\n")
    ran = project.compose("run", "--rm", "-e", "B=given", "tool", "sh", "-c", "echo $A $B")
    assert ran.stdout.strip() == "from-file given"
    assert project.labelled("containers") == []
    via = project.compose("run", "--rm", "-T", "--entrypoint", "echo via", "-u", "1:1", "-w",
                          "/tmp", "tool", "x")
    assert via.stdout.strip() == "via x"
    failed = project.compose("run", "--rm", "tool", "sh", "-c", "exit 5", check=False)
    assert failed.returncode == 5
    kept = project.compose("run", "-d", "tool", "sleep", "3600")
    name = kept.stdout.strip()
    assert name.startswith(f"{project.name}-tool-run-")
    labels = _containers(project)[name]["Labels"]
    assert isinstance(labels, dict) and labels["com.docker.compose.oneoff"] == "True"
    project.compose("down", "-t", "1")
    assert project.labelled("containers") == []


def test_config_and_bad_input(project: ComposeProject) -> None:
    project.write("services: {web: {image: x, ports: ['8080:80']}, db: {image: y}}\n"
                  "volumes: {v: {}}\n")
    assert project.compose("config", "--services").stdout.split() == ["db", "web"]
    assert project.compose("config", "--volumes").stdout.split() == ["v"]
    shown = project.compose("config", "--format", "json").stdout
    assert json.loads(shown)["services"]["web"]["ports"][0]["published"] == "8080"
    project.write("services: {web: {image: x, depends_on: [nope]}}\n")
    bad = project.compose("up", "-d", check=False)
    assert bad.returncode == 1
    assert "services.web.depends_on: depends on undefined service 'nope'" in bad.stderr
    project.write("services: {web: {image: x, ports: ['a:b:c:d']}}\n")
    bad = project.compose("config", check=False)
    assert bad.returncode == 1 and "services.web.ports.0: invalid port" in bad.stderr
    project.write("services: {web: {image: '${NOPE:?must be set}'}}\n")
    bad = project.compose("config", check=False)
    assert bad.returncode == 1 and "required variable NOPE is missing a value" in bad.stderr


def test_down_leaves_other_projects_alone(project: ComposeProject) -> None:
    """Label filters AND their terms (as docker's): ``oneoff=False`` alone never selects
    another project's container."""
    other = project.daemon.json("POST", f"/containers/create?name={project.name}-other", {
        "Image": "busybox:latest", "Cmd": ["true"],
        "Labels": {"com.docker.compose.project": f"{project.name}x",
                   "com.docker.compose.oneoff": "False"}})
    try:
        project.write("services: {a: {image: busybox:latest, command: [sleep, '3600']}}\n")
        project.compose("down", "-t", "1")
        status, _ = project.daemon.request("GET", f"/containers/{other['Id']}/json")  # type: ignore[index]
        assert status == 200
    finally:
        project.daemon.request("DELETE", f"/containers/{other['Id']}?force=1")  # type: ignore[index]
