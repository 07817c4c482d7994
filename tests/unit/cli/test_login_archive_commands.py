"""login, logout, save, load and registry serve against the fake engine (expected texts measured
with the docker 28.2 CLI on the same fake)."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from wharf.cli import session as cli_session

LOGIN_OK = {"Status": "Login Succeeded", "IdentityToken": ""}


def stored(config: Path) -> Any:
    return json.loads((config / "config.json").read_text())


def test_login_password_stdin_stores_and_warns(wharf: Any, engine: Any,
                                               tmp_path: Path) -> None:
    engine.route("POST", "/auth", LOGIN_OK)
    config = tmp_path / "cfg"
    result = wharf("login", "-u", "me", "--password-stdin", "http://127.0.0.1:5001/foo",
                   stdin=b"pw\n", env={"DOCKER_CONFIG": str(config)})
    assert result.status == 0, result.stderr
    assert result.stdout == "Login Succeeded\n"
    assert result.stderr == (
        f"\nWARNING! Your credentials are stored unencrypted in '{config}/config.json'.\n"
        "Configure a credential helper to remove this warning. See\n"
        "https://docs.docker.com/go/credential-store/\n\n")
    assert engine.find("POST", "/auth")[0].json() == {
        "username": "me", "password": "pw", "serveraddress": "127.0.0.1:5001"}
    assert stored(config) == {"auths": {"127.0.0.1:5001": {"auth": "bWU6cHc="}}}
    assert stat.S_IMODE(os.stat(config / "config.json").st_mode) == 0o600


def test_login_default_server_password_flag_and_identity_token(wharf: Any, engine: Any,
                                                               tmp_path: Path) -> None:
    engine.route("POST", "/auth", {"Status": "Login Succeeded", "IdentityToken": "tok123"})
    result = wharf("login", "-u", "me", "-p", "pw", env={"DOCKER_CONFIG": str(tmp_path)})
    assert result.status == 0
    assert result.stderr.startswith("WARNING! Using --password via the CLI is insecure. "
                                    "Use --password-stdin.\n")
    assert engine.find("POST", "/auth")[0].json()["serveraddress"] == \
        "https://index.docker.io/v1/"
    assert stored(tmp_path)["auths"] == {"https://index.docker.io/v1/": {
        "auth": "bWU6", "identitytoken": "tok123"}}


@pytest.mark.parametrize(("argv", "message"), [
    (("login", "-p", "x", "--password-stdin"),
     "conflicting options: cannot specify both --password and --password-stdin\n"),
    (("login", "--password-stdin"),
     "the --password-stdin option requires --username to be set\n"),
    (("login", "127.0.0.1:5000"),
     "Error: Cannot perform an interactive login from a non TTY device\n"),
    (("login", "-u", "x", "127.0.0.1:5000"),
     "Error: Cannot perform an interactive login from a non TTY device\n"),
])
def test_login_refusals(wharf: Any, engine: Any, tmp_path: Path, argv: tuple[str, ...],
                        message: str) -> None:
    result = wharf(*argv, env={"DOCKER_CONFIG": str(tmp_path)})
    assert (result.status, result.stderr) == (1, message)
    assert engine.find("POST", "/auth") == []
    assert not (tmp_path / "config.json").exists()


def test_login_with_stored_credentials(wharf: Any, engine: Any, tmp_path: Path) -> None:
    engine.route("POST", "/auth", LOGIN_OK)
    (tmp_path / "config.json").write_text(json.dumps(
        {"auths": {"127.0.0.1:5000": {"auth": "YTpi"}}, "x": 1}))
    result = wharf("login", "127.0.0.1:5000", env={"DOCKER_CONFIG": str(tmp_path)})
    assert (result.status, result.stdout) == (0, "Login Succeeded\n")
    assert result.stderr.startswith("Authenticating with existing credentials... "
                                    "[Username: a]\n\n Info -> ")
    assert engine.find("POST", "/auth")[0].json() == {
        "username": "a", "password": "b", "serveraddress": "127.0.0.1:5000"}


def test_login_refused_by_the_registry_stores_nothing(wharf: Any, engine: Any, fake: Any,
                                                      tmp_path: Path) -> None:
    engine.route("POST", "/auth", fake.Reply(status=401, body={
        "message": "login attempt to http://127.0.0.1:5000/v2/ failed with status: "
                   "401 Unauthorized"}))
    result = wharf("login", "-u", "me", "--password-stdin", "127.0.0.1:5000", stdin=b"bad",
                   env={"DOCKER_CONFIG": str(tmp_path)})
    assert result.status == 1
    assert result.stderr == ("Error response from daemon: login attempt to "
                             "http://127.0.0.1:5000/v2/ failed with status: 401 Unauthorized\n")
    assert not (tmp_path / "config.json").exists()


def test_logout_erases_every_spelling_and_keeps_the_rest(wharf: Any, engine: Any,
                                                         tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"auths": {
        "127.0.0.1:5000": {"auth": "YTpi"}, "http://127.0.0.1:5000": {"auth": "YTpi"},
        "https://index.docker.io/v1/": {"auth": "YTpi"}}, "detachKeys": "ctrl-a"}))
    env = {"DOCKER_CONFIG": str(tmp_path)}
    result = wharf("logout", "127.0.0.1:5000", env=env)
    assert (result.status, result.stdout) == (0, "Removing login credentials for "
                                                 "127.0.0.1:5000\n")
    assert stored(tmp_path) == {"auths": {"https://index.docker.io/v1/": {"auth": "YTpi"}},
                                "detachKeys": "ctrl-a"}
    hub = wharf("logout", env=env)
    assert hub.stdout == "Removing login credentials for https://index.docker.io/v1/\n"
    assert stored(tmp_path) == {"auths": {}, "detachKeys": "ctrl-a"}


def test_save_to_file_through_a_temporary(wharf: Any, engine: Any, fake: Any,
                                          tmp_path: Path) -> None:
    engine.route("GET", "/images/get", fake.Reply(chunks=[b"TAR", b"DATA"],
                                                  content_type="application/x-tar"))
    target = tmp_path / "out.tar"
    result = wharf("save", "-o", str(target), "busybox", "alpine:3")
    assert (result.status, result.stdout, result.stderr) == (0, "", "")
    assert target.read_bytes() == b"TARDATA"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert engine.find("GET", "/images/get")[0].query == {"names": ["busybox", "alpine:3"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tar"]  # no temporary left
    piped = wharf("save", "busybox")
    assert piped.raw_stdout == b"TARDATA"


def test_save_refusals(wharf: Any, engine: Any, tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    missing = wharf("save", "-o", "/nonexistent-dir/x.tar", "busybox")
    assert (missing.status, missing.stderr) == (1, "failed to save image: invalid output "
                                                   "path: stat /nonexistent-dir: no such "
                                                   "file or directory\n")
    directory = wharf("save", "-o", str(tmp_path), "busybox")
    assert directory.stderr == "failed to save image: cannot write to a directory\n"
    monkeypatch.setattr(cli_session, "is_terminal", lambda stream: True)
    tty = wharf("save", "busybox")
    assert (tty.status, tty.stderr) == (1, "cowardly refusing to save to a terminal. Use the "
                                           "-o flag or redirect\n")
    assert engine.find("GET", "/images/get") == []


def test_save_unknown_image_leaves_no_file(wharf: Any, engine: Any, fake: Any,
                                           tmp_path: Path) -> None:
    engine.route("GET", "/images/get",
                 fake.Reply(status=404, body={"message": "No such image: nope:latest"}))
    result = wharf("save", "-o", str(tmp_path / "x.tar"), "nope")
    assert (result.status, result.stderr) == (1, "Error response from daemon: No such image: "
                                                 "nope:latest\n")
    assert not (tmp_path / "x.tar").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".wharf_temp_")]


def test_load_from_file_and_stdin(wharf: Any, engine: Any, fake: Any,
                                  tmp_path: Path) -> None:
    engine.route("POST", "/images/load", fake.Reply(
        chunks=[b'{"stream":"Loaded image: busybox:latest\\n"}\r\n']))
    archive = tmp_path / "in.tar"
    archive.write_bytes(b"ARCHIVE" * 1000)
    from_file = wharf("load", "-i", str(archive))
    assert (from_file.status, from_file.stdout) == (0, "Loaded image: busybox:latest\n")
    from_stdin = wharf("load", stdin=b"FROMSTDIN")
    assert from_stdin.stdout == "Loaded image: busybox:latest\n"
    first, second = engine.find("POST", "/images/load")
    assert first.body == b"ARCHIVE" * 1000 and second.body == b"FROMSTDIN"
    assert first.param("quiet") == "1"  # not a terminal: docker asks for quiet output
    assert first.headers["content-type"] == "application/x-tar"


def test_load_errors(wharf: Any, engine: Any, fake: Any,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    engine.route("POST", "/images/load", fake.Reply(
        chunks=[b'{"errorDetail":{"message":"invalid tar header"},'
                b'"error":"invalid tar header"}\r\n']))
    bad = wharf("load", stdin=b"junk")
    assert (bad.status, bad.stderr) == (1, "invalid tar header\n")
    missing = wharf("load", "-i", "/nonexistent-file.tar")
    assert (missing.status, missing.stderr) == (1, "open /nonexistent-file.tar: no such file "
                                                   "or directory\n")
    monkeypatch.setattr(cli_session, "is_terminal", lambda stream: True)
    tty = wharf("load")
    assert (tty.status, tty.stderr) == (1, "requested load from stdin, but stdin is empty\n")


def test_registry_serve_execs_the_server_module(wharf: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    calls: list[tuple[str, list[str]]] = []

    def fake_exec(path: str, argv: list[str]) -> None:
        calls.append((path, argv))

    monkeypatch.setattr(os, "execv", fake_exec)
    assert wharf("registry", "serve", "--root", "/srv/r", "--htpasswd", "/etc/h").status == 0
    assert wharf("registry", "serve", "--addr", "127.0.0.1:5999").status == 0
    assert calls == [
        (sys.executable, [sys.executable, "-m", "wharf.registry.server", "--addr",
                          "127.0.0.1:5000", "--root", "/srv/r", "--htpasswd", "/etc/h"]),
        (sys.executable, [sys.executable, "-m", "wharf.registry.server", "--addr",
                          "127.0.0.1:5999"])]
    assert wharf("registry", "serve", "extra").status == 1


def test_credentials_reach_pull_after_login(wharf: Any, engine: Any, fake: Any) -> None:
    engine.route("POST", "/auth", LOGIN_OK)
    engine.route("POST", "/images/create", fake.Reply(chunks=[b'{"status":"ok"}\r\n']))
    assert wharf("login", "-u", "me", "--password-stdin", "localhost:5000",
                 stdin=b"pw").status == 0
    assert wharf("pull", "-q", "localhost:5000/app").status == 0
    header = engine.find("POST", "/images/create")[0].headers["x-registry-auth"]
    assert json.loads(base64.urlsafe_b64decode(header)) == {
        "username": "me", "password": "pw", "serveraddress": "localhost:5000"}


def test_save_cut_off_leaves_no_file(wharf: Any, engine: Any, fake: Any,
                                     tmp_path: Path) -> None:
    def cut_off() -> Any:
        yield b"PART OF AN ARCHIVE"
        raise ConnectionResetError("the daemon died")

    engine.route("GET", "/images/get", fake.Reply(chunks=cut_off(),
                                                  content_type="application/x-tar"))
    result = wharf("save", "-o", str(tmp_path / "x.tar"), "busybox")
    assert (result.status, result.stderr) == (1, "unexpected EOF\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no temporary left either
