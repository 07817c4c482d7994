"""The config hash: stable, blind to per-container labels, sensitive to the service."""

from wharf.compose import labels as L
from wharf.compose.confighash import config_hash
from wharf.compose.createbody import Meta, create_body
from wharf.compose.model import build_project
from wharf.compose.yamlload import load_yaml


def _hash(text: str, number: int = 1, meta: Meta | None = None) -> str:
    project = build_project("p", load_yaml(text))
    body = create_body(project, project.services["a"], meta or Meta(), number)
    return config_hash(body)


BASE = "services: {a: {image: x, environment: {B: '2', A: '1'}, ports: ['80:80']}}"


def test_stable_and_independent_of_instance_and_key_order() -> None:
    first = _hash(BASE)
    assert first == _hash(BASE) == _hash(BASE, number=3)
    assert len(first) == 64
    reordered = "services: {a: {ports: ['80:80'], environment: {B: '2', A: '1'}, image: x}}"
    assert _hash(reordered) == first
    assert _hash(BASE, meta=Meta("/elsewhere", ["/elsewhere/c.yaml"])) == first


def test_changes_with_the_service() -> None:
    first = _hash(BASE)
    assert _hash(BASE.replace("'80:80'", "'81:80'")) != first
    assert _hash(BASE.replace("'2'", "'3'")) != first
    assert _hash(BASE.replace("image: x", "image: y")) != first


def test_resolved_environment_counts() -> None:
    text = "services: {a: {image: x, environment: [V]}}"
    assert _hash(text, meta=Meta(env={"V": "1"})) != _hash(text, meta=Meta(env={"V": "2"}))


def test_ignores_instance_labels() -> None:
    body = {"Image": "x", "Labels": {L.NUMBER: "1", L.ONEOFF: "False", "a": "b"}}
    other = {"Image": "x", "Labels": {L.NUMBER: "2", L.ONEOFF: "True", "a": "b",
                                      L.CONFIG_HASH: "zzz"}}
    assert config_hash(body) == config_hash(other)
