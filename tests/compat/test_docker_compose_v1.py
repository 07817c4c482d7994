"""docker-compose 1.29 (the Python one, in .venv-compose) drives wharfd unchanged: ``up -d``,
``ps``, ``logs`` and ``down -v`` of a two-service project with a user network and a named volume.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemons import Daemon

REPO = Path(__file__).resolve().parents[2]
COMPOSE_V1 = REPO / ".venv-compose" / "bin" / "docker-compose"

PROJECT_FILE = """\
version: "3.8"
services:
  writer:
    image: busybox:latest
    command: ["sh", "-c", "echo written > /data/index.html; echo writer ready; sleep 300"]
    volumes: ["shared:/data"]
    networks: [back]
    stop_grace_period: 1s  # (a shell as pid 1 ignores SIGTERM)
  web:
    image: busybox:latest
    command: ["sh", "-c", "echo web ready; exec httpd -f -p 8080 -h /data"]
    ports: ["8080"]  # an ephemeral host port: its release must be done when rm returns
    volumes: ["shared:/data"]
    networks: [back]
    stop_grace_period: 1s
    depends_on: [writer]
networks:
  back: {}
volumes:
  shared: {}
"""


@pytest.fixture(scope="module")
def project(wharfd: Daemon, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if not COMPOSE_V1.exists():
        pytest.skip("docker-compose 1.29 is not installed (make setup-test)")
    directory = tmp_path_factory.mktemp("compose-v1")
    (directory / "docker-compose.yml").write_text(PROJECT_FILE)
    yield directory


def compose(wharfd: Daemon, directory: Path, name: str, *args: str, timeout: float = 120,
            api_version: str = "auto") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DOCKER_HOST=wharfd.host, COMPOSE_PROJECT_NAME=name,
               COMPOSE_INTERACTIVE_NO_CLI="1", COMPOSE_API_VERSION=api_version)
    env.pop("DOCKER_CONTEXT", None)
    res = subprocess.run([str(COMPOSE_V1), "--ansi", "never", *args], cwd=directory, env=env,
                         capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, (f"docker-compose {' '.join(args)} -> {res.returncode}\n"
                                 f"{res.stdout}\n{res.stderr}\ndaemon log:\n{wharfd.log_tail()}")
    return res


def labelled(wharfd: Daemon, project: str) -> list[dict[str, object]]:
    filters = urllib.parse.quote(json.dumps({"label": [f"com.docker.compose.project={project}"]}))
    found = wharfd.json("GET", f"/containers/json?all=1&filters={filters}")
    assert isinstance(found, list)
    return found


def names_of(wharfd: Daemon, kind: str) -> set[str]:
    found = wharfd.json("GET", f"/{kind}")
    items = found["Volumes"] if kind == "volumes" else found  # type: ignore[index]
    return {str(item["Name"]) for item in items}  # type: ignore[union-attr]


def wait_for_output(wharfd: Daemon, container: str, command: list[str], expected: bytes,
                    timeout: float = 20) -> bytes:
    """Run ``command`` in ``container`` until its output holds ``expected`` (bounded)."""
    deadline = time.monotonic() + timeout
    output = b""
    while time.monotonic() < deadline:
        res = wharfd.docker("exec", container, *command, check=False)
        output = res.stdout + res.stderr
        if expected in output:
            return output
        time.sleep(0.2)
    raise AssertionError(f"{command} in {container}: {output!r}")


def test_up_ps_logs_down(wharfd: Daemon, project: Path) -> None:
    name = f"v1{uuid.uuid4().hex[:8]}"
    compose(wharfd, project, name, "up", "-d")
    try:
        containers = labelled(wharfd, name)
        by_service = {str(c["Labels"]["com.docker.compose.service"]): c  # type: ignore[index]
                      for c in containers}
        assert set(by_service) == {"writer", "web"}
        for service, container in by_service.items():
            labels = container["Labels"]
            assert labels["com.docker.compose.container-number"] == "1"  # type: ignore[index]
            assert labels["com.docker.compose.version"] == "1.29.2"  # type: ignore[index]
            assert container["Names"] == [f"/{name}_{service}_1"]
            assert container["State"] == "running"
        assert f"{name}_back" in names_of(wharfd, "networks")
        assert f"{name}_shared" in names_of(wharfd, "volumes")

        # the services reach each other by name on the project's network, through the volume
        served = wait_for_output(wharfd, f"{name}_writer_1",
                                 ["wget", "-q", "-O", "-", "http://web:8080/index.html"],
                                 b"written")
        assert served.strip() == b"written"

        port = compose(wharfd, project, name, "port", "web", "8080").stdout.strip()
        host_port = int(port.rsplit(":", 1)[1])
        with urllib.request.urlopen(f"http://127.0.0.1:{host_port}/index.html", timeout=10) as got:
            assert got.read() == b"written\n"

        listed = compose(wharfd, project, name, "ps").stdout
        assert f"{name}_web_1" in listed and f"{name}_writer_1" in listed
        assert listed.count("Up") == 2, listed

        logs = compose(wharfd, project, name, "logs", "--no-color").stdout
        assert "writer ready" in logs and "web ready" in logs, logs
    finally:
        compose(wharfd, project, name, "down", "-v", "--timeout", "1")
    assert labelled(wharfd, name) == []
    assert f"{name}_back" not in names_of(wharfd, "networks")
    assert f"{name}_shared" not in names_of(wharfd, "volumes")
    assert "Error handling request" not in wharfd.log_tail(1_000_000)  # no 500 on the way


def test_a_changed_service_is_recreated_and_keeps_its_volume(wharfd: Daemon,
                                                             project: Path) -> None:
    """Compose v1 reads the image's ``ContainerConfig`` to recreate, which the Engine API sends
    only below 1.45 (dockerd 26+ and wharfd alike): with API 1.47 it fails with KeyError
    'ContainerConfig' on both, so its users pin ``COMPOSE_API_VERSION=1.44``, as here."""
    name = f"v1{uuid.uuid4().hex[:8]}"
    directory = project / name
    directory.mkdir()
    (directory / "docker-compose.yml").write_text(PROJECT_FILE)
    compose(wharfd, directory, name, "up", "-d", api_version="1.44")
    try:
        before = {c["Labels"]["com.docker.compose.service"]: c["Id"]  # type: ignore[index]
                  for c in labelled(wharfd, name)}
        wait_for_output(wharfd, f"{name}_web_1", ["cat", "/data/index.html"], b"written")
        changed = PROJECT_FILE.replace("    depends_on: [writer]\n", "    depends_on: [writer]\n"
                                       '    environment: {CHANGED: "1"}\n')
        (directory / "docker-compose.yml").write_text(changed)
        out = compose(wharfd, directory, name, "up", "-d", api_version="1.44")
        assert f"Recreating {name}_web_1" in out.stderr, out.stderr
        after = {c["Labels"]["com.docker.compose.service"]: c  # type: ignore[index]
                 for c in labelled(wharfd, name)}
        assert after["writer"]["Id"] == before["writer"]
        assert after["web"]["Id"] != before["web"] and after["web"]["State"] == "running"
        assert wharfd.docker("exec", f"{name}_web_1", "sh", "-c",
                             "echo $CHANGED; cat /data/index.html").stdout == b"1\nwritten\n"
    finally:
        compose(wharfd, directory, name, "down", "-v", "--timeout", "1", api_version="1.44")
    assert labelled(wharfd, name) == []
