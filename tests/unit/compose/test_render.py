import yaml

from wharf.compose.model import build_project
from wharf.compose.render import to_config
from wharf.compose.yamlload import load_yaml

TEXT = """
services:
  web:
    image: app
    command: run --fast
    ports: ["8080:80", "127.0.0.1::53/udp"]
    volumes: ["data:/data:ro", {type: tmpfs, target: /t, tmpfs: {size: 1k}}]
    environment: [A=1]
    depends_on: [db]
    deploy: {resources: {limits: {memory: 1k}}}
  db:
    image: pg
    healthcheck: {test: [CMD, ok], interval: 1s}
    stop_grace_period: 1m30s
volumes: {data: {labels: [a=b]}}
networks: {ext: {external: true}}
"""


def test_render_shape() -> None:
    cfg = to_config(build_project("p", load_yaml(TEXT)))
    web = cfg["services"]["web"]
    assert web["command"] == ["run", "--fast"]
    assert web["ports"] == [
        {"target": 80, "published": "8080", "protocol": "tcp", "mode": "ingress"},
        {"target": 53, "host_ip": "127.0.0.1", "protocol": "udp", "mode": "ingress"},
    ]
    assert web["volumes"][0] == {"type": "volume", "source": "data", "target": "/data",
                                 "read_only": True}  # fmt: skip
    assert web["deploy"] == {"resources": {"limits": {"memory": 1024}}}
    assert web["depends_on"] == {
        "db": {"condition": "service_started", "restart": False, "required": True}
    }
    assert cfg["services"]["db"]["healthcheck"] == {"test": ["CMD", "ok"], "interval": "1s"}
    assert cfg["services"]["db"]["stop_grace_period"] == "90s"
    assert cfg["volumes"] == {"data": {"labels": {"a": "b"}}}
    assert cfg["networks"] == {"ext": {"external": True}}


def test_render_loads_again_to_the_same_model() -> None:
    first = build_project("p", load_yaml(TEXT))
    cfg = to_config(first)
    cfg.pop("name")
    assert build_project("p", load_yaml(yaml.safe_dump(cfg))) == first
