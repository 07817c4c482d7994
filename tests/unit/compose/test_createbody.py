"""The create body of a service, field by field, as the engine receives it."""

from typing import Any

import pytest

from wharf.compose import labels as L
from wharf.compose.createbody import Meta, create_body, image_name
from wharf.compose.model import Project, build_project
from wharf.compose.yamlload import load_yaml

TEXT = """
services:
  web:
    image: app:1
    command: ["run", "--fast"]
    entrypoint: /bin/sh -c
    environment: {A: "1", FROM_ENV: null, UNSET: null}
    ports: ["8080:80", "127.0.0.1::53/udp", {target: 443, published: 8443, mode: host}]
    expose: [5000]
    volumes: ["/host/src:/src:ro", "data:/data", "/anon",
              {type: bind, source: /etc/x, target: /x, bind: {create_host_path: false}},
              {type: tmpfs, target: /run, tmpfs: {size: 1k}},
              {type: volume, source: data, target: /d2, volume: {nocopy: true}}]
    tmpfs: ["/tmp:size=64m", /cache]
    networks: {front: {aliases: [w], ipv4_address: 10.0.0.5}, back: null}
    depends_on: {db: {condition: service_healthy}}
    healthcheck: {test: curl -f localhost, interval: 1m30s, timeout: 500ms, retries: 3,
                  start_period: 10s, start_interval: 1s}
    restart: on-failure:3
    labels: {a: b}
    working_dir: /src
    user: "1000:1000"
    hostname: web
    extra_hosts: ["h1:1.2.3.4"]
    dns: [8.8.8.8]
    init: true
    stop_signal: SIGINT
    stop_grace_period: 1m
    deploy: {resources: {limits: {memory: 64m, cpus: "0.5", pids: 100}}}
  db:
    build: ./db
    restart: always
volumes: {data: {}}
networks: {front: {}, back: {name: custom-back}}
"""

META = Meta("/proj", ["/proj/compose.yaml"], {"FROM_ENV": "yes"})


def _project(text: str = TEXT) -> Project:
    return build_project("p", load_yaml(text))


def _web(**kw: Any) -> dict[str, Any]:
    project = _project()
    return create_body(project, project.services["web"], META, **kw)


def test_config_fields() -> None:
    body = _web()
    assert body["Image"] == "app:1"
    assert body["Cmd"] == ["run", "--fast"]
    assert body["Entrypoint"] == ["/bin/sh", "-c"]
    assert body["Env"] == ["A=1", "FROM_ENV=yes"]
    assert body["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}, "443/tcp": {}, "5000/tcp": {}}
    assert (body["WorkingDir"], body["User"], body["Hostname"]) == ("/src", "1000:1000", "web")
    assert (body["StopSignal"], body["StopTimeout"]) == ("SIGINT", 60)


def test_healthcheck_in_nanoseconds() -> None:
    assert _web()["Healthcheck"] == {
        "Test": ["CMD-SHELL", "curl -f localhost"], "Interval": 90_000_000_000,
        "Timeout": 500_000_000, "StartPeriod": 10_000_000_000,
        "StartInterval": 1_000_000_000, "Retries": 3,
    }
    disabled = _project("services: {a: {image: x, healthcheck: {disable: true}}}")
    assert create_body(disabled, disabled.services["a"], META)["Healthcheck"] == {
        "Test": ["NONE"]}


def test_host_config() -> None:
    host = _web()["HostConfig"]
    assert host["PortBindings"] == {
        "80/tcp": [{"HostIp": "", "HostPort": "8080"}],
        "53/udp": [{"HostIp": "127.0.0.1", "HostPort": ""}],
        "443/tcp": [{"HostIp": "", "HostPort": "8443"}],
    }
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert host["Binds"] == ["/host/src:/src:ro"]
    assert host["Mounts"] == [
        {"Type": "volume", "Target": "/data", "Source": "p_data"},
        {"Type": "volume", "Target": "/anon"},
        {"Type": "bind", "Target": "/x", "Source": "/etc/x"},
        {"Type": "tmpfs", "Target": "/run", "TmpfsOptions": {"SizeBytes": 1024}},
        {"Type": "volume", "Target": "/d2", "Source": "p_data", "VolumeOptions": {"NoCopy": True}},
    ]
    assert host["Tmpfs"] == {"/tmp": "size=64m", "/cache": ""}
    assert (host["ExtraHosts"], host["Dns"], host["Init"]) == (["h1:1.2.3.4"], ["8.8.8.8"], True)
    assert (host["Memory"], host["NanoCpus"], host["PidsLimit"]) == (64 << 20, 500_000_000, 100)


def test_networks() -> None:
    body = _web()
    assert body["HostConfig"]["NetworkMode"] == "custom-back"
    assert body["NetworkingConfig"]["EndpointsConfig"] == {
        "p_front": {"Aliases": ["web", "w"], "IPAMConfig": {"IPv4Address": "10.0.0.5"}},
        "custom-back": {"Aliases": ["web"]},
    }
    project = _project()
    db = create_body(project, project.services["db"], META)
    assert db["HostConfig"]["NetworkMode"] == "p_default"
    assert db["NetworkingConfig"]["EndpointsConfig"] == {"p_default": {"Aliases": ["db"]}}


def test_compose_labels() -> None:
    labels = _web(number=2)["Labels"]
    assert labels["a"] == "b"
    assert labels[L.PROJECT] == "p" and labels[L.SERVICE] == "web"
    assert labels[L.NUMBER] == "2" and labels[L.ONEOFF] == "False"
    assert labels[L.WORKING_DIR] == "/proj"
    assert labels[L.CONFIG_FILES] == "/proj/compose.yaml"
    assert labels[L.DEPENDS_ON] == "db:service_healthy:false"
    assert labels[L.IMAGE] == "app:1"
    assert labels[L.VERSION] == L.COMPOSE_VERSION
    assert _web(oneoff=True)["Labels"][L.ONEOFF] == "True"


def test_built_image_name_and_restart() -> None:
    project = _project()
    db = project.services["db"]
    assert image_name("p", db) == "p-db"
    body = create_body(project, db, META)
    assert body["Image"] == "p-db"
    assert body["HostConfig"]["RestartPolicy"] == {"Name": "always", "MaximumRetryCount": 0}
    assert "Healthcheck" not in body and "Cmd" not in body


@pytest.mark.parametrize("restart,policy", [
    ("no", {"Name": "no", "MaximumRetryCount": 0}),
    ("unless-stopped", {"Name": "unless-stopped", "MaximumRetryCount": 0}),
    ("on-failure", {"Name": "on-failure", "MaximumRetryCount": 0}),
])
def test_restart_policies(restart: str, policy: dict[str, Any]) -> None:
    project = _project(f"services: {{a: {{image: x, restart: {restart}}}}}")
    assert create_body(project, project.services["a"], META)["HostConfig"]["RestartPolicy"] \
        == policy


def test_external_resources_keep_their_names() -> None:
    project = _project("""
services: {a: {image: x, networks: [ext], volumes: ["v:/v"]}}
networks: {ext: {external: true}}
volumes: {v: {external: true, name: real-v}}
""")
    body = create_body(project, project.services["a"], META)
    assert body["HostConfig"]["NetworkMode"] == "ext"
    assert body["HostConfig"]["Mounts"][0]["Source"] == "real-v"
