from pathlib import Path
from typing import Any

import pytest

from wharf.compose.errors import ComposeError
from wharf.compose.loader import load
from wharf.compose.model import Resource, build_project, from_loaded
from wharf.compose.model_parts import Dependency, Healthcheck, Limits, NetworkAttach
from wharf.compose.model_ports import PortSpec, VolumeMount
from wharf.compose.model_service import EnvFile
from wharf.compose.yamlload import load_yaml

FULL = """
services:
  web:
    build: {context: ./app, dockerfile: Dockerfile.dev, args: [A=1, B], target: prod}
    command: echo "hello world"
    entrypoint: [/bin/sh, -c]
    environment: [X=1, Y]
    env_file: [.env.web, {path: other.env, required: false}]
    ports: ["8080:80", "127.0.0.1:53:53/udp", "9000-9001:9000-9001", 3000,
            {target: 443, published: 8443, host_ip: 0.0.0.0, protocol: tcp}]
    expose: [5000, "6000/udp"]
    volumes: ["./src:/src:ro", "data:/data", "/anon",
              {type: tmpfs, target: /run, tmpfs: {size: 1m}},
              {type: volume, source: data, target: /d2, volume: {nocopy: true}}]
    tmpfs: /tmp
    networks: {front: {aliases: [w], ipv4_address: 10.0.0.5}, back: null}
    depends_on: {db: {condition: service_healthy}}
    healthcheck: {test: curl -f localhost, interval: 1m30s, timeout: 500ms, retries: 3,
                  start_period: 10s, start_interval: 1s}
    restart: on-failure:3
    labels: {a: b}
    working_dir: /src
    user: "1000:1000"
    hostname: web
    extra_hosts: ["h1:1.2.3.4", "h2=5.6.7.8"]
    dns: 8.8.8.8
    init: true
    stop_signal: SIGINT
    stop_grace_period: 1m
    deploy: {resources: {limits: {cpus: "0.5", memory: 512m}}}
    profiles: [dev]
    x-custom: ignored
  db:
    image: postgres
    networks: [back]
    healthcheck: {disable: true}
networks:
  front: {driver: bridge, driver_opts: {mtu: 1400}, labels: [l=1]}
  back: {external: true, name: shared}
volumes:
  data: {}
"""


def _project(text: str, file: str | None = "compose.yaml") -> Any:
    return build_project("p", load_yaml(text), file)


def test_full_service_normalised() -> None:
    p = _project(FULL)
    web = p.services["web"]
    assert web.build is not None and web.build.args == {"A": "1", "B": None}
    assert web.build.target == "prod" and web.build.dockerfile == "Dockerfile.dev"
    assert web.command == ["echo", "hello world"]
    assert web.entrypoint == ["/bin/sh", "-c"]
    assert web.environment == {"X": "1", "Y": None}
    assert web.env_file == [EnvFile(".env.web"), EnvFile("other.env", False)]
    assert web.ports == [
        PortSpec(80, "tcp", "8080"),
        PortSpec(53, "udp", "53", "127.0.0.1"),
        PortSpec(9000, "tcp", "9000"),
        PortSpec(9001, "tcp", "9001"),
        PortSpec(3000),
        PortSpec(443, "tcp", "8443", "0.0.0.0"),
    ]
    assert web.expose == ["5000/tcp", "6000/udp"]
    assert web.volumes == [
        VolumeMount("bind", "/src", "./src", True),
        VolumeMount("volume", "/data", "data"),
        VolumeMount("volume", "/anon"),
        VolumeMount("tmpfs", "/run", tmpfs_size=1024**2),
        VolumeMount("volume", "/d2", "data", nocopy=True),
    ]
    assert web.tmpfs == ["/tmp"]
    assert web.networks == {"front": NetworkAttach(["w"], "10.0.0.5"), "back": NetworkAttach()}
    assert web.depends_on == {"db": Dependency("service_healthy")}
    assert web.healthcheck == Healthcheck(
        ["CMD-SHELL", "curl -f localhost"], 90.0, 0.5, 3, 10.0, start_interval=1.0
    )
    assert web.restart == "on-failure:3"
    assert web.extra_hosts == ["h1:1.2.3.4", "h2:5.6.7.8"]
    assert web.dns == ["8.8.8.8"] and web.init is True and web.stop_grace_period == 60.0
    assert web.limits == Limits(0.5, 512 * 1024**2)
    assert web.profiles == ["dev"] and web.user == "1000:1000"
    db = p.services["db"]
    assert db.healthcheck == Healthcheck(["NONE"], disable=True)
    assert db.depends_on == {} and db.restart == "no"
    assert p.networks["front"] == Resource(None, False, "bridge", {"mtu": "1400"}, {"l": "1"})
    assert p.networks["back"] == Resource("shared", True)
    assert p.volumes == {"data": Resource()}


def test_depends_on_list_form() -> None:
    p = _project("services:\n  a: {image: x, depends_on: [b]}\n  b: {image: y}\n")
    assert p.services["a"].depends_on == {"b": Dependency()}


@pytest.mark.parametrize(
    ("service", "message"),
    [
        ("{image: x, privileged: true}", r"compose.yaml: services.web.privileged: not supported"),
        ("{image: x, bogus: 1}", r"services.web: additional property bogus is not allowed"),
        ("{image: x, ports: ['80:80:80:80']}", r"services.web.ports.0: invalid port"),
        ("{image: x, ports: ['a:80']}", r"services.web.ports.0: invalid port"),
        ("{image: x, stop_grace_period: 1x}", r"services.web.stop_grace_period: invalid dur"),
        ("{image: x, healthcheck: {interval: 5}}", r"healthcheck.interval: invalid duration"),
        ("{image: x, init: yes please}", r"services.web.init: must be a boolean"),
        ("{image: x, environment: 3}", r"services.web.environment: must be a mapping or a list"),
        ("{image: x, restart: sometimes}", r"services.web.restart: invalid restart policy"),
        ("{image: x, depends_on: [nope]}", r"services.web.depends_on: depends on undefined"),
        ("{image: x, depends_on: {db: {condition: later}}}", r"depends_on.db.condition"),
        ("{image: x, networks: [nope]}", r"services.web.networks: refers to undefined network"),
        ("{image: x, volumes: ['nope:/d']}", r"services.web.volumes: refers to undefined volume"),
        ("{image: x, deploy: {mode: global}}", r"services.web.deploy.mode: not supported"),
        ("{image: x, deploy: {resources: {limits: {memory: lots}}}}", r"limits.memory: invalid"),
        ("{command: x}", r"services.web: has neither an image nor a build"),
        ("{image: x, ports: [{target: 80, mode: swarm}]}", r"ports\.0\.mode: invalid mode"),
        ("{image: x, ports: [{published: 80}]}", r"ports\.0: target is required"),
        ("{image: x, ports: [{target: 80, protocol: icmp}]}", r"ports\.0: invalid port"),
        ("{image: x, extra_hosts: [nohost]}", r"web\.extra_hosts: bad format for add-host"),
        ("{image: x, extra_hosts: {h: 1.2.3}}", r"extra_hosts: invalid IP address in add-host"),
        ("{image: x, networks: {n: {ipv4_address: 1.2}}}", r"n\.ipv4_address: invalid IPv4"),
        ("{image: x, volumes: ['/a:/b:z']}", r"volumes\.0: SELinux .* not supported by wharf"),
        ("{image: x, volumes: [{target: /a, bind: {selinux: z}}]}", r"bind\.selinux: not supp"),
        ("{image: x, env_file: [{path: a, format: yaml}]}", r"env_file\.0\.format: not supp"),
        ("{image: x, healthcheck: {test: [RUN, x]}}", r"healthcheck.test: must start with CMD"),
    ],
)
def test_errors_name_file_service_field(service: str, message: str) -> None:
    with pytest.raises(ComposeError, match=message):
        _project(f"services:\n  web: {service}\n")


def test_cycle_named() -> None:
    text = "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a]}\n"
    with pytest.raises(ComposeError, match="dependency cycle detected: a -> b -> a"):
        _project(text)


def test_top_level_checks() -> None:
    with pytest.raises(ComposeError, match=r"compose\.yaml: secrets: not supported by wharf"):
        _project("services: {}\nsecrets: {}\n")
    with pytest.raises(ComposeError, match="additional property nope"):
        _project("services: {}\nnope: 1\n")
    with pytest.raises(ComposeError, match=r"networks.n.internal: not supported"):
        _project("services: {}\nnetworks: {n: {internal: true}}\n")
    with pytest.raises(ComposeError, match=r"volumes.v.ipam: not supported"):
        _project("services: {}\nvolumes: {v: {ipam: {}}}\n")


def test_from_loaded_names_the_service_file(tmp_path: Path) -> None:
    a = tmp_path / "a.yaml"
    a.write_text("services:\n  web: {image: x}\n")
    b = tmp_path / "b.yaml"
    b.write_text("services:\n  db: {image: y, privileged: true}\n")
    with pytest.raises(ComposeError, match=r"b\.yaml: services\.db\.privileged"):
        from_loaded(load([a, b], "p", environ={}))
    assert from_loaded(load([a], "p", environ={})).services["web"].image == "x"


def test_field_tables_cover_the_spec() -> None:
    spec = Path(__file__).resolve().parents[3].parent / "shared" / "spec" / "compose-spec.json"
    if not spec.is_file():
        pytest.skip("the Compose Spec schema is not beside this checkout (shared/spec/)")
    import json

    from wharf.compose.model_fields import SUPPORTED, UNSUPPORTED

    props = set(json.loads(spec.read_text())["definitions"]["service"]["properties"])
    assert props == SUPPORTED | UNSUPPORTED
    assert not SUPPORTED & UNSUPPORTED


def test_labels_without_value_are_empty_and_optional_deps_skip() -> None:
    p = _project("services:\n  a: {image: x, labels: [k], depends_on: {gone: {required: false}}}\n")
    assert p.services["a"].labels == {"k": ""}


def test_from_loaded_resolves_relative_paths(tmp_path: Path) -> None:
    f = tmp_path / "compose.yaml"
    f.write_text(
        "services:\n  web:\n    build: ./app\n    env_file: web.env\n"
        "    volumes: ['./src:/src', 'data:/data', '/abs:/abs']\n"
        "  git: {build: 'https://example.invalid/r.git#main'}\nvolumes: {data: {}}\n"
    )
    p = from_loaded(load([f], "p", environ={}))
    web, base = p.services["web"], tmp_path.resolve()
    assert web.build is not None and web.build.context == str(base / "app")
    assert web.env_file == [EnvFile(str(base / "web.env"))]
    assert [m.source for m in web.volumes] == [str(base / "src"), "data", "/abs"]
    git_build = p.services["git"].build
    assert git_build is not None and git_build.context == "https://example.invalid/r.git#main"


def test_bad_service_name() -> None:
    with pytest.raises(ComposeError, match=r"services\.we b: invalid service name"):
        _project("services:\n  we b: {image: x}\n")


def test_dependencies_graph_for_order() -> None:
    from wharf.compose.order import start_order

    p = _project(FULL)
    assert p.dependencies() == {"web": ["db"], "db": []}
    assert start_order(p.dependencies()) == ["db", "web"]


def test_top_level_messages_are_clean() -> None:
    with pytest.raises(ComposeError, match=r"^compose\.yaml: additional property nope"):
        _project("nope: 1\n")
    with pytest.raises(ComposeError, match=r"^additional property nope"):
        _project("nope: 1\n", None)
    with pytest.raises(ComposeError, match=r"^networks: must be a mapping"):
        _project("networks: [a]\n", None)
