from pathlib import Path

import pytest

from wharf.compose.errors import ComposeError
from wharf.compose.loader import load, normalize_project_name
from wharf.compose.merge import merge_mappings


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_single_file_env_dotenv_and_environ(tmp_path: Path) -> None:
    _write(tmp_path / ".env", "TAG=1.0\nPORT=80\n")
    f = _write(
        tmp_path / "compose.yaml",
        "services:\n  web:\n    image: app:${TAG}\n    ports: ['${PORT}:80']\n",
    )
    got = load([f], environ={"PORT": "8080"})
    assert got.data["services"]["web"] == {"image": "app:1.0", "ports": ["8080:80"]}
    assert got.name == normalize_project_name(tmp_path.name)
    assert got.service_files == {"web": str(f)}


def test_project_name_sources(tmp_path: Path) -> None:
    d = tmp_path / "My.App Dir"
    d.mkdir()
    f = _write(d / "compose.yaml", "services: {}\n")
    assert load([f], environ={}).name == "myappdir"
    assert load([f], "proj", environ={}).name == "proj"
    g = _write(d / "named.yaml", "name: Named\nservices: {}\n")
    assert load([g], environ={}).name == "named"
    with pytest.raises(ComposeError, match="invalid project name"):
        load([f], "Bad Name", environ={})


def test_merge_files(tmp_path: Path) -> None:
    a = _write(
        tmp_path / "a.yaml",
        """
services:
  web:
    image: a
    command: [x, y]
    ports: ["80:80"]
    environment: [A=1, B=2]
    labels: {l: "1"}
    healthcheck: {test: [CMD, a], retries: 3}
""",
    )
    b = _write(
        tmp_path / "b.yaml",
        """
services:
  web:
    command: z
    ports: ["443:443"]
    environment: {B: "3", C: "4"}
    labels: [m=2]
    healthcheck: {test: [CMD, b]}
  db: {image: pg}
""",
    )
    got = load([a, b], environ={})
    web = got.data["services"]["web"]
    assert web["command"] == "z"
    assert web["ports"] == ["80:80", "443:443"]
    assert web["environment"] == {"A": "1", "B": "3", "C": "4"}
    assert web["labels"] == {"l": "1", "m": "2"}
    assert web["healthcheck"] == {"test": ["CMD", "b"], "retries": 3}
    assert got.service_files == {"web": str(b), "db": str(b)}


def test_merge_scalar_and_new_keys() -> None:
    assert merge_mappings({"a": 1, "b": {"c": 1}}, {"a": 2, "b": {"d": 2}}) == {
        "a": 2,
        "b": {"c": 1, "d": 2},
    }


def test_errors_name_the_file(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.yaml", "services: [\n")
    with pytest.raises(ComposeError, match=r"bad\.yaml: invalid YAML"):
        load([bad], environ={})
    lst = _write(tmp_path / "list.yaml", "- a\n")
    with pytest.raises(ComposeError, match=r"list\.yaml: Top-level object must be a mapping"):
        load([lst], environ={})
    req = _write(tmp_path / "req.yaml", "services:\n  web:\n    image: ${IMG:?set IMG}\n")
    with pytest.raises(ComposeError, match=r"req.yaml: services.web.image: required variable IMG"):
        load([req], environ={})
    with pytest.raises(ComposeError, match=r"missing\.yaml"):
        load([tmp_path / "missing.yaml"], environ={})


def test_empty_file(tmp_path: Path) -> None:
    assert load([_write(tmp_path / "e.yaml", "")], "p", environ={}).data == {}


def test_compose_project_name_from_env(tmp_path: Path) -> None:
    f = _write(tmp_path / "compose.yaml", "name: fromfile\nservices: {}\n")
    assert load([f], environ={"COMPOSE_PROJECT_NAME": "fromenv"}).name == "fromenv"
    assert load([f], "flag", environ={"COMPOSE_PROJECT_NAME": "fromenv"}).name == "flag"
    _write(tmp_path / ".env", "COMPOSE_PROJECT_NAME=dotenv\n")
    assert load([f], environ={}).name == "dotenv"


def test_merge_extra_hosts_by_host_and_env_keeps_colons() -> None:
    base = {"extra_hosts": ["a:1.1.1.1"], "environment": ["URL=http://x:1"]}
    over = {"extra_hosts": {"a": "2.2.2.2"}, "environment": ["P=a:b"]}
    assert merge_mappings(base, over) == {
        "extra_hosts": {"a": "2.2.2.2"},
        "environment": {"URL": "http://x:1", "P": "a:b"},
    }


def test_merge_depends_on_and_networks_across_syntaxes() -> None:
    base = {"depends_on": ["db"], "networks": {"front": {"aliases": ["a"]}}}
    over = {"depends_on": {"cache": {"condition": "service_healthy"}}, "networks": ["back"]}
    assert merge_mappings(base, over) == {
        "depends_on": {"db": None, "cache": {"condition": "service_healthy"}},
        "networks": {"front": {"aliases": ["a"]}, "back": None},
    }
    assert merge_mappings({"networks": ["a"]}, {"networks": ["b"]}) == {"networks": ["a", "b"]}


def test_yaml_12_scalars_in_files(tmp_path: Path) -> None:
    f = _write(
        tmp_path / "c.yaml", "services:\n  s:\n    ports: [22:22]\n    environment: {A: no}\n"
    )
    svc = load([f], "p", environ={}).data["services"]["s"]
    assert svc == {"ports": ["22:22"], "environment": {"A": "no"}}


def test_merge_build_string_with_mapping() -> None:
    got = merge_mappings({"build": "./app"}, {"build": {"target": "dev"}})
    assert got == {"build": {"context": "./app", "target": "dev"}}
    assert merge_mappings({"build": {"args": ["A=1"]}}, {"build": "./b"}) == {
        "build": {"args": ["A=1"], "context": "./b"}
    }
