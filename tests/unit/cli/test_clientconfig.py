"""The client config file: detach keys come from the flag, else from ``detachKeys``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wharf.cli.clientconfig import detach_keys_setting


def test_flag_then_config_file_then_the_daemon_s_default(tmp_path: Path) -> None:
    env = {"DOCKER_CONFIG": str(tmp_path)}
    assert detach_keys_setting("", env) == ""
    (tmp_path / "config.json").write_text(json.dumps({"detachKeys": "ctrl-a,b"}))
    assert detach_keys_setting("", env) == "ctrl-a,b"
    assert detach_keys_setting("ctrl-x", env) == "ctrl-x"


def test_a_broken_config_file_means_no_settings(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    assert detach_keys_setting("", {"DOCKER_CONFIG": str(tmp_path)}) == ""
    (tmp_path / "config.json").write_text(json.dumps({"detachKeys": 5}))
    assert detach_keys_setting("", {"DOCKER_CONFIG": str(tmp_path)}) == ""


def test_home_docker_config_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".docker").mkdir()
    (tmp_path / ".docker" / "config.json").write_text(json.dumps({"detachKeys": "ctrl-e"}))
    assert detach_keys_setting("", {}) == "ctrl-e"
