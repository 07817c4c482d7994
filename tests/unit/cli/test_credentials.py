"""docker's config.json credentials: where they are filed, how they are written and read."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from wharf.cli.command import CommandFailed
from wharf.cli.credentials import (
    INDEX_SERVER,
    ConfigFile,
    Credentials,
    hostname_of,
    server_key,
)


def env_for(directory: Path) -> dict[str, str]:
    return {"DOCKER_CONFIG": str(directory)}


def test_server_keys_as_docker_files_them() -> None:
    assert server_key("") == INDEX_SERVER
    assert server_key("docker.io") == INDEX_SERVER
    assert server_key(INDEX_SERVER) == INDEX_SERVER
    assert server_key("http://127.0.0.1:5001/foo") == "127.0.0.1:5001"
    assert server_key("localhost:5000") == "localhost:5000"
    assert hostname_of("https://r.example:443/v2/") == "r.example:443"


def test_store_writes_docker_format_keeps_other_keys_mode_0600(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"detachKeys": "ctrl-a", "proxies": {"x": 1}}')
    os.chmod(tmp_path / "config.json", 0o644)
    config = ConfigFile.load(env_for(tmp_path))
    config.store(Credentials("127.0.0.1:5000", "me", "pw"))
    text = (tmp_path / "config.json").read_text()
    assert json.loads(text) == {"detachKeys": "ctrl-a", "proxies": {"x": 1},
                                "auths": {"127.0.0.1:5000": {"auth": "bWU6cHc="}}}
    assert '\n\t"auths": {\n\t\t"127.0.0.1:5000": {\n\t\t\t"auth": "bWU6cHc="' in text
    assert stat.S_IMODE(os.stat(tmp_path / "config.json").st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]  # no temporary left


def test_identity_token_is_stored_beside_the_user(tmp_path: Path) -> None:
    config = ConfigFile.load(env_for(tmp_path / "new"))  # the directory is created
    config.store(Credentials("r:1", "me", "", "tok"))
    entry = json.loads((tmp_path / "new" / "config.json").read_text())["auths"]["r:1"]
    assert entry == {"auth": base64.b64encode(b"me:").decode(), "identitytoken": "tok"}
    again = ConfigFile.load(env_for(tmp_path / "new")).get("r:1")
    assert (again.username, again.password, again.identity_token) == ("me", "", "tok")
    assert again.auth_config() == {"username": "me", "serveraddress": "r:1",
                                   "identitytoken": "tok"}


def test_get_finds_legacy_url_keys_and_missing_is_empty(tmp_path: Path) -> None:
    auth = base64.b64encode(b"u:p:with:colons").decode()
    (tmp_path / "config.json").write_text(json.dumps(
        {"auths": {"https://old.example:5000/v1/": {"auth": auth}}}))
    config = ConfigFile.load(env_for(tmp_path))
    found = config.get("old.example:5000")
    assert (found.username, found.password) == ("u", "p:with:colons")
    assert config.get("other:1").empty()
    assert config.get("other:1").auth_config() == {}


def test_erase_and_symlinked_config(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text(json.dumps({"auths": {"a:1": {"auth": "YTpi"}, "b:1": {"auth": "YTpi"}}}))
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "config.json").symlink_to(real)
    ConfigFile.load(env_for(tmp_path / "cfg")).erase("a:1")
    assert (tmp_path / "cfg" / "config.json").is_symlink()  # written through, as docker
    assert json.loads(real.read_text()) == {"auths": {"b:1": {"auth": "YTpi"}}}


def test_broken_config_is_an_error_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(CommandFailed, match="loading config file"):
        ConfigFile.load(env_for(tmp_path))
    assert (tmp_path / "config.json").read_text() == "{not json"


HELPER = """#!/bin/sh
# a docker credential helper keeping one credential per server in files under $STORE
action=$1
read -r input || true
case $action in
  get)   f="$STORE/$(echo "$input" | tr '/:' '__')"
         if [ -f "$f" ]; then cat "$f"; exit 0; fi
         echo "credentials not found in native keychain"; exit 1 ;;
  store) server=$(echo "$input" | sed 's/.*"ServerURL": *"\\([^"]*\\)".*/\\1/')
         echo "$input" > "$STORE/$(echo "$server" | tr '/:' '__')" ;;
  erase) rm -f "$STORE/$(echo "$input" | tr '/:' '__')" ;;
esac
"""


def test_credential_helper_protocol(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir, store = tmp_path / "bin", tmp_path / "store"
    bin_dir.mkdir()
    store.mkdir()
    helper = bin_dir / "docker-credential-testing"
    helper.write_text(HELPER)
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("STORE", str(store))
    (tmp_path / "config.json").write_text(json.dumps({"credHelpers": {"r:1": "testing"}}))
    config = ConfigFile.load(env_for(tmp_path))
    assert config.get("r:1").empty()  # "not found" is no error
    config.store(Credentials("r:1", "me", "secret"))
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["auths"] == {"r:1": {}}  # the secret lives in the helper only
    found = ConfigFile.load(env_for(tmp_path)).get("r:1")
    assert (found.username, found.password) == ("me", "secret")
    config.store(Credentials("r:1", "me", "", "tok"))
    assert ConfigFile.load(env_for(tmp_path)).get("r:1").identity_token == "tok"
    config.erase("r:1")
    assert ConfigFile.load(env_for(tmp_path)).get("r:1").empty()


def test_missing_helper_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"credsStore": "nonexistent-x"}))
    with pytest.raises(CommandFailed, match="docker-credential-nonexistent-x"):
        ConfigFile.load(env_for(tmp_path)).get("r:1")
