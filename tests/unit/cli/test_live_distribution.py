"""The CLI's distribution commands end to end: ``wharf registry serve`` with htpasswd, a live
wharfd, and push/login/pull/search/logout, beside the stock docker CLI on the same daemon.

Skipped until the registry server and the daemon's pull/push are in the tree (other lanes).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.daemon_fixtures import wharfd
from tests.support.daemons import VENV_BIN, Daemon
from tests.support.net import free_port, wait_listening

__all__ = ["wharfd"]

pytestmark = pytest.mark.root

USER, PASSWORD = "cli-user", "cli-secret"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import bcrypt

    tmp = tmp_path_factory.mktemp("cli-registry")
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    (tmp / "htpasswd").write_text(f"{USER}:{hashed}\n")
    port = free_port()
    with (tmp / "registry.log").open("wb") as log:
        proc = subprocess.Popen(
            [str(VENV_BIN / "wharf"), "registry", "serve", "--addr", f"127.0.0.1:{port}",
             "--root", str(tmp / "root"), "--htpasswd", str(tmp / "htpasswd")],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_listening(port, 30.0, proc)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cli(program: str, daemon: Daemon, config: Path, *argv: str,
        stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(daemon.docker_env(), DOCKER_CONFIG=str(config))
    return subprocess.run([program, *argv], env=env, input=stdin.decode() if stdin else None,
                          capture_output=True, text=True, timeout=180, check=False)


def wharf(daemon: Daemon, config: Path, *argv: str,
          stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return cli(str(VENV_BIN / "wharf"), daemon, config, *argv, stdin=stdin)


def test_push_login_pull_search_logout(wharfd: Daemon, registry: str, tmp_path: Path) -> None:
    config = tmp_path / "config"
    repo = f"{registry}/cli/busybox"
    assert wharf(wharfd, config, "tag", "busybox", f"{repo}:v1").returncode == 0
    denied = wharf(wharfd, config, "push", f"{repo}:v1")
    assert denied.returncode == 1
    assert "no basic auth credentials" in denied.stderr  # docker's words

    login = wharf(wharfd, config, "login", "-u", USER, "--password-stdin", registry,
                  stdin=PASSWORD.encode() + b"\n")
    assert (login.returncode, login.stdout) == (0, "Login Succeeded\n"), login.stderr
    pushed = wharf(wharfd, config, "push", f"{repo}:v1")
    assert pushed.returncode == 0, pushed.stderr
    lines = pushed.stdout.splitlines()
    assert lines[0] == f"The push refers to repository [{repo}]"
    assert lines[-1].startswith("v1: digest: sha256:") and " size: " in lines[-1]
    digest = lines[-1].split()[2]

    assert wharf(wharfd, config, "rmi", f"{repo}:v1").returncode == 0
    pulled = wharf(wharfd, config, "pull", f"{repo}:v1")
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.splitlines()[0] == "v1: Pulling from cli/busybox"
    assert f"Digest: {digest}" in pulled.stdout
    assert pulled.stdout.endswith(f"{repo}:v1\n")
    assert f"{repo}@{digest}" in wharf(wharfd, config, "inspect", "--format",
                                       "{{json .RepoDigests}}", f"{repo}:v1").stdout

    # the stock docker CLI, with the config wharf wrote, prints the same for the same pull
    again = wharf(wharfd, config, "pull", f"{repo}:v1")
    by_docker = cli("docker", wharfd, config, "pull", f"{repo}:v1")
    assert by_docker.returncode == 0, by_docker.stderr
    assert again.stdout == by_docker.stdout

    found = wharf(wharfd, config, "search", f"{registry}/cli")
    assert found.returncode == 0, found.stderr
    assert found.stdout.splitlines()[1].split() == ["cli/busybox", "0"]
    assert found.stdout == cli("docker", wharfd, config, "search", f"{registry}/cli").stdout

    logout = wharf(wharfd, config, "logout", registry)
    assert logout.stdout == f"Removing login credentials for {registry}\n"
    refused = wharf(wharfd, config, "pull", "-q", f"{repo}:v1")
    assert refused.returncode == 1 and refused.stdout == ""
    assert "unauthorized" in refused.stderr or "denied" in refused.stderr
