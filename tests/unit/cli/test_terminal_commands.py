"""The CLI on a pseudo-terminal: login prompts (password not echoed) and pull progress bars."""

from __future__ import annotations

import base64
import json
import sys
import time
from pathlib import Path
from typing import Any

from tests.support.ptyrun import Typed, run_on_pty

STREAMS = Path(__file__).parent / "streams"
WHARF = str(Path(sys.executable).parent / "wharf")


def cli_env(engine: Any, config: Path) -> dict[str, str]:
    return {"WHARF_HOST": engine.address, "DOCKER_CONFIG": str(config), "PATH": "/usr/bin:/bin",
            "TERM": "xterm", "COLUMNS": "120", "LINES": "40"}


def test_login_prompts_without_echoing_the_password(engine: Any, tmp_path: Path) -> None:
    engine.route("POST", "/auth", {"Status": "Login Succeeded", "IdentityToken": ""})
    result = run_on_pty([WHARF, "login", "127.0.0.1:5000"],
                        [Typed(1.5, b"me\n"), Typed(0.5, b"s3cret-word\n")],
                        cli_env(engine, tmp_path), timeout=20)
    text = result.output.decode(errors="replace")
    assert result.returncode == 0, text
    assert "Username: " in text and "Password: " in text and "Login Succeeded" in text
    assert "s3cret-word" not in text  # echo was off while it was typed
    assert engine.find("POST", "/auth")[0].json() == {
        "username": "me", "password": "s3cret-word", "serveraddress": "127.0.0.1:5000"}
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["auths"]["127.0.0.1:5000"]["auth"] == "bWU6czNjcmV0LXdvcmQ="


def test_pull_on_a_terminal_draws_bars(engine: Any, fake: Any, tmp_path: Path) -> None:
    lines = [line + b"\n" for line in (STREAMS / "pull.jsonl").read_bytes().split(b"\n")
             if line]

    def slowly() -> Any:  # as a registry download arrives: the display redraws in between
        for line in lines:
            time.sleep(0.15)
            yield line

    engine.route("POST", "/images/create", fake.Reply(chunks=slowly()))
    result = run_on_pty([WHARF, "pull", "busybox"], [], cli_env(engine, tmp_path), timeout=20)
    text = result.output.decode(errors="replace")
    assert result.returncode == 0, text
    assert "\x1b[" in text  # redrawn in place
    assert "━" in text  # rich's bar while a layer downloads
    assert "a1b2c3d4e5f6: Pull complete" in text
    assert text.rstrip().endswith("docker.io/library/busybox:latest")


def test_pull_refused_401_asks_for_credentials_and_retries(engine: Any, fake: Any,
                                                           tmp_path: Path) -> None:
    answers = iter([fake.Reply(status=401, body={"message": "unauthorized: authentication "
                                                            "required"}),
                    fake.Reply(chunks=[b'{"status":"Status: Downloaded newer image for '
                                       b'localhost:5000/app:latest"}\r\n'])])
    engine.route("POST", "/images/create", lambda request: next(answers))
    result = run_on_pty([WHARF, "pull", "localhost:5000/app"],
                        [Typed(1.5, b"me\n"), Typed(0.5, b"pw\n")],
                        cli_env(engine, tmp_path), timeout=20)
    text = result.output.decode(errors="replace")
    assert result.returncode == 0, text
    assert "Login prior to pull:" in text and "Username: " in text
    first, second = engine.find("POST", "/images/create")
    assert first.headers["x-registry-auth"] == "e30="
    assert json.loads(base64.urlsafe_b64decode(second.headers["x-registry-auth"])) == {
        "username": "me", "password": "pw", "serveraddress": "localhost:5000"}
    assert not (tmp_path / "config.json").exists()  # docker does not store them either
