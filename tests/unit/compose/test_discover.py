from pathlib import Path

import pytest

from wharf.compose.discover import CANDIDATES, default_files
from wharf.compose.errors import ComposeError


def test_first_candidate_with_override(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("")
    assert default_files(tmp_path, {}) == [tmp_path.resolve() / "docker-compose.yml"]
    (tmp_path / "compose.yaml").write_text("")
    (tmp_path / "compose.override.yaml").write_text("")
    assert default_files(tmp_path, {}) == [
        tmp_path.resolve() / "compose.yaml",
        tmp_path.resolve() / "compose.override.yaml",
    ]


def test_parent_directory_is_searched(tmp_path: Path) -> None:
    (tmp_path / "compose.yml").write_text("")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert default_files(sub, {}) == [tmp_path.resolve() / "compose.yml"]


def test_compose_file_env(tmp_path: Path) -> None:
    got = default_files(tmp_path, {"COMPOSE_FILE": "a.yaml:b.yaml"})
    assert got == [tmp_path / "a.yaml", tmp_path / "b.yaml"]
    got = default_files(tmp_path, {"COMPOSE_FILE": "a;b", "COMPOSE_PATH_SEPARATOR": ";"})
    assert got == [tmp_path / "a", tmp_path / "b"]


def test_none_found(tmp_path: Path) -> None:
    empty = tmp_path / "x"
    empty.mkdir()
    if any((p / n).is_file() for p in empty.resolve().parents for n in CANDIDATES):
        pytest.skip("a compose file above the temp dir")
    with pytest.raises(ComposeError, match="no configuration file provided"):
        default_files(empty, {})
