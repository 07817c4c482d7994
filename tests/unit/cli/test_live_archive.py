"""save, load, images, history and rmi of the wharf CLI against a live wharfd, next to the stock
docker CLI on the same daemon (its output is the reference)."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest
from tests.support.daemon_fixtures import wharfd
from tests.support.daemons import VENV_BIN, Daemon

__all__ = ["wharfd"]

pytestmark = pytest.mark.root  # a live wharfd unpacks layers as root


def wharf_cli(daemon: Daemon, *argv: str, stdin: bytes | None = None,
              config: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = daemon.docker_env()
    if config is not None:
        env["DOCKER_CONFIG"] = str(config)
    return subprocess.run([str(VENV_BIN / "wharf"), *argv], env=env, input=stdin,
                          capture_output=True, timeout=120, check=False)


def test_save_to_file_then_load_it_back(wharfd: Daemon, tmp_path: Path) -> None:
    archive = tmp_path / "busybox.tar"
    saved = wharf_cli(wharfd, "save", "-o", str(archive), "busybox")
    assert saved.returncode == 0, saved.stderr
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names
    wharfd.docker("tag", "busybox", "wharf-cli-live:copy")
    removed = wharf_cli(wharfd, "rmi", "wharf-cli-live:copy")
    assert removed.stdout == b"Untagged: wharf-cli-live:copy\n"
    loaded = wharf_cli(wharfd, "load", "-i", str(archive))
    assert loaded.returncode == 0, loaded.stderr
    by_docker = wharfd.docker("load", "-i", str(archive))
    assert loaded.stdout == by_docker.stdout  # "Loaded image: busybox:latest"
    assert b"busybox:latest" in loaded.stdout


def test_save_to_a_pipe_and_load_from_stdin(wharfd: Daemon, tmp_path: Path) -> None:
    saved = wharf_cli(wharfd, "save", "busybox")
    assert saved.returncode == 0, saved.stderr
    assert saved.stdout == wharfd.docker("save", "busybox").stdout  # same bytes as docker's
    loaded = wharf_cli(wharfd, "load", stdin=saved.stdout)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout == b"Loaded image: busybox:latest\n"
    quiet = wharf_cli(wharfd, "load", "-q", stdin=saved.stdout)
    assert quiet.stdout == loaded.stdout


def test_save_unknown_image(wharfd: Daemon, tmp_path: Path) -> None:
    target = tmp_path / "none.tar"
    failed = wharf_cli(wharfd, "save", "-o", str(target), "wharf-no-such-image")
    assert failed.returncode == 1
    by_docker = wharfd.docker("save", "-o", str(target), "wharf-no-such-image", check=False)
    assert failed.stderr == by_docker.stderr
    assert list(tmp_path.iterdir()) == []


def test_listing_and_history_match_docker(wharfd: Daemon) -> None:
    for argv in (("images", "--digests"), ("images", "-a", "--filter", "reference=busy*"),
                 ("history", "--no-trunc", "busybox"), ("history", "-q", "busybox"),
                 ("history", "--format", "{{.ID}} {{.Size}}", "busybox"),
                 ("history", "--human=false", "busybox"),
                 ("images", "--filter", "dangling=false", "--format", "{{.Repository}}"),
                 ("image", "prune", "-f")):
        ours = wharf_cli(wharfd, *argv)
        theirs = wharfd.docker(*argv)
        assert ours.returncode == 0, ours.stderr
        assert ours.stdout == theirs.stdout, argv


def test_load_garbage_is_an_error_and_the_daemon_lives(wharfd: Daemon) -> None:
    failed = wharf_cli(wharfd, "load", stdin=b"this is not a tar archive" * 40)
    assert failed.returncode == 1
    assert failed.stderr.strip()
    assert wharf_cli(wharfd, "images", "-q").returncode == 0
