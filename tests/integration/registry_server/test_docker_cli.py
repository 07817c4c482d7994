"""The stock docker CLI, through Debian's dockerd (a private one), pushes to wharf's registry,
pulls back the same digest, logs in with htpasswd credentials and searches with a stars filter."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.registry_server.served import Served, serve
from tests.support.daemons import DOCKER_CLI, Daemon, dockerd_with_busybox
from tests.support.registries import write_htpasswd

pytestmark = [
    pytest.mark.skipif(shutil.which("dockerd") is None, reason="dockerd (docker.io) not installed"),
]


@pytest.fixture(scope="module")
def dockerd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    tmp = tmp_path_factory.mktemp("dockerd-registry")
    with dockerd_with_busybox(tmp) as daemon:
        yield daemon


def _docker(
    daemon: Daemon, config: Path, *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**daemon.docker_env(), "DOCKER_CONFIG": str(config)}
    result = subprocess.run(
        [DOCKER_CLI, *args], env=env, capture_output=True, text=True, timeout=120, input=stdin
    )
    if check:
        assert result.returncode == 0, f"docker {args}: {result.stderr}\n{daemon.log_tail()}"
    return result


def _pushed_digest(output: str) -> str:
    match = re.search(r"digest: (sha256:[0-9a-f]{64}) size: \d+", output)
    assert match, output
    return match[1]


def _set_stars(served: Served, name: str, stars: int, auth: str = "") -> None:
    request = urllib.request.Request(
        f"http://{served.addr}/wharf/v1/repositories/{name}/stars",
        data=json.dumps({"stars": stars}).encode(),
        method="PUT",
        headers={"Authorization": auth} if auth else {},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_docker_push_pull_and_search(dockerd: Daemon, tmp_path: Path) -> None:
    config = tmp_path / "docker-config"
    with serve(tmp_path / "root", tmp_path / "registry.log") as served:
        ref = f"{served.addr}/team/busybox:v1"
        _docker(dockerd, config, "tag", "busybox:latest", ref)
        digest = _pushed_digest(_docker(dockerd, config, "push", ref).stdout)
        again = _docker(dockerd, config, "push", ref).stdout
        assert "Layer already exists" in again
        assert _pushed_digest(again) == digest
        _docker(dockerd, config, "rmi", ref)
        pulled = _docker(dockerd, config, "pull", ref).stdout
        assert f"Digest: {digest}" in pulled
        inspect = json.loads(_docker(dockerd, config, "image", "inspect", ref).stdout)
        assert f"{served.addr}/team/busybox@{digest}" in inspect[0]["RepoDigests"]
        _docker(dockerd, config, "tag", "busybox:latest", f"{served.addr}/library/busybox:v1")
        _docker(dockerd, config, "push", f"{served.addr}/library/busybox:v1")
        _set_stars(served, "team/busybox", 5)
        found = _docker(
            dockerd,
            config,
            "search",
            "--format",
            "{{.Name}} {{.StarCount}} {{.IsOfficial}}",
            f"{served.addr}/busybox",
        ).stdout.split("\n")
        assert "team/busybox 5 " in found[0] or found[0].startswith("team/busybox 5")
        assert any(line.startswith("library/busybox 0") for line in found)
        starred = _docker(
            dockerd,
            config,
            "search",
            "--filter",
            "stars=3",
            "--format",
            "{{.Name}}",
            f"{served.addr}/busybox",
        ).stdout.split()
        assert starred == ["team/busybox"]
        missing = _docker(dockerd, config, "pull", f"{served.addr}/team/nothing:v1", check=False)
        assert missing.returncode != 0
        assert "manifest unknown" in missing.stderr


def _login(
    dockerd: Daemon, config: Path, served: Served, password: str, *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """``docker login -u dev --password-stdin`` to the served registry."""
    return _docker(
        dockerd,
        config,
        "login",
        "-u",
        "dev",
        "--password-stdin",
        served.addr,
        stdin=f"{password}\n",
        check=check,
    )


def test_docker_login_then_push_and_pull(dockerd: Daemon, tmp_path: Path) -> None:
    write_htpasswd(tmp_path / "htpasswd", {"dev": "hunter22"})
    config = tmp_path / "docker-config"
    with serve(tmp_path / "root", tmp_path / "log", htpasswd=tmp_path / "htpasswd") as served:
        ref = f"{served.addr}/private/busybox:v1"
        _docker(dockerd, config, "tag", "busybox:latest", ref)
        denied = _docker(dockerd, config, "push", ref, check=False)
        assert denied.returncode != 0
        assert "no basic auth credentials" in denied.stderr or "unauthorized" in denied.stderr
        assert _login(dockerd, config, served, "wrong", check=False).returncode != 0
        login = _login(dockerd, config, served, "hunter22")
        assert "Login Succeeded" in login.stdout
        digest = _pushed_digest(_docker(dockerd, config, "push", ref).stdout)
        _docker(dockerd, config, "rmi", ref)
        assert f"Digest: {digest}" in _docker(dockerd, config, "pull", ref).stdout
    assert os.path.exists(config / "config.json")
