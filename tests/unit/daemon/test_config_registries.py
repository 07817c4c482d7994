"""daemon.json registry keys: mirrors (Docker's list and wharf's per-registry map), insecure
registries, transfer concurrency."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wharf.daemon.config import ConfigError, load_config


def _load(tmp_path: Path, content: dict[str, object], *flags: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "daemon.json"
    path.write_text(json.dumps(content))
    return load_config(["--config-file", str(path), *flags])


def test_list_form_mirrors_docker_hub(tmp_path: Path) -> None:
    config = _load(tmp_path, {"registry-mirrors": ["https://m.example/"]})
    assert config.registry_mirrors == ["https://m.example"]
    assert config.mirrors_by_registry == {"docker.io": ["https://m.example"]}


def test_map_form_mirrors_any_registry(tmp_path: Path) -> None:
    config = _load(tmp_path, {"registry-mirrors": {
        "127.0.0.1:5000": ["http://127.0.0.1:5001", "http://127.0.0.1:5002"],
        "index.docker.io": ["https://hub-mirror"]}})
    assert config.mirrors_by_registry == {
        "127.0.0.1:5000": ["http://127.0.0.1:5001", "http://127.0.0.1:5002"],
        "docker.io": ["https://hub-mirror"]}
    assert config.registry_mirrors == ["https://hub-mirror"]


@pytest.mark.parametrize(("mirrors", "message"), [
    (["ftp://m"], 'unsupported scheme "ftp"'),
    (["https://m/path"], "path, query, or fragment"),
    (["m.example"], "unsupported scheme"),
    ({"r:5000": "http://m"}, "must be a list"),
])
def test_bad_mirrors_are_refused(tmp_path: Path, mirrors: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _load(tmp_path, {"registry-mirrors": mirrors})


def test_insecure_registries_and_concurrency(tmp_path: Path) -> None:
    config = _load(tmp_path, {"insecure-registries": ["10.0.0.0/8", "reg:5000"],
                              "max-concurrent-downloads": 6}, "--max-concurrent-uploads", "2")
    assert config.insecure_registries == ["10.0.0.0/8", "reg:5000"]
    assert (config.max_concurrent_downloads, config.max_concurrent_uploads) == (6, 2)
    with pytest.raises(ConfigError, match="should not contain '://'"):
        _load(tmp_path, {"insecure-registries": ["http://reg"]})
    with pytest.raises(ConfigError, match="max-concurrent-downloads"):
        _load(tmp_path, {"max-concurrent-downloads": 0})


def test_max_download_attempts(tmp_path: Path) -> None:
    assert _load(tmp_path, {}).max_download_attempts == 5  # dockerd's default
    assert _load(tmp_path, {"max-download-attempts": 2}).max_download_attempts == 2
    assert _load(tmp_path, {}, "--max-download-attempts", "1").max_download_attempts == 1
    with pytest.raises(ConfigError, match="max-download-attempts"):
        _load(tmp_path, {"max-download-attempts": 0})


def test_registry_read_timeout(tmp_path: Path) -> None:
    assert _load(tmp_path, {}).registry_read_timeout == 60
    assert _load(tmp_path, {"registry-read-timeout": 5}).registry_read_timeout == 5
    assert _load(tmp_path, {}, "--registry-read-timeout", "3").registry_read_timeout == 3
    with pytest.raises(ConfigError, match="registry-read-timeout"):
        _load(tmp_path, {"registry-read-timeout": 0})
