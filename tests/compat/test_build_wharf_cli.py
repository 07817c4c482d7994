"""``wharf build`` end to end against a live daemon: the context it sends (``.dockerignore``,
``-f`` outside the context, ``--secret``), Docker's step output, ``-q``, ``--iidfile``, a
failing RUN's exit code. Runs against wharfd, and against a private dockerd too with
``WHARF_COMPAT_DOCKERD=1`` (the CLI speaks the same API to both).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.compat.build_support import daemon, unique_tag
from tests.support.daemons import VENV_BIN, Daemon

__all__ = ["daemon"]


@pytest.fixture
def tag(daemon: Daemon) -> Iterator[str]:
    with unique_tag(daemon, "wharf-clibuild") as name:
        yield name


def wharf(daemon: Daemon, tmp_path: Path, *args: str,
          stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(daemon.docker_env(), DOCKER_CONFIG=str(tmp_path / "docker-config"))
    res = subprocess.run([str(VENV_BIN / "wharf"), *args], env=env, input=stdin,
                         capture_output=True, timeout=300, check=False)
    return subprocess.CompletedProcess(res.args, res.returncode, res.stdout.decode(),
                                       res.stderr.decode())


def _context(tmp_path: Path, dockerfile: str) -> Path:
    ctx = tmp_path / "ctx"
    ctx.mkdir(exist_ok=True)
    (ctx / "Dockerfile").write_text(dockerfile)
    (ctx / "app.txt").write_text("app\n")
    (ctx / "debug.log").write_text("log\n")
    (ctx / ".dockerignore").write_text("*.log\n")
    return ctx


def test_wharf_build_prints_the_steps_and_builds(daemon: Daemon, tag: str,
                                                 tmp_path: Path) -> None:
    ctx = _context(tmp_path, "FROM busybox\nARG V\nCOPY . /ctx\nRUN echo run-$V\n")
    iid = tmp_path / "iid"
    res = wharf(daemon, tmp_path, "build", "-t", tag, "--build-arg", "V=1",
                "--iidfile", str(iid), str(ctx))
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("Sending build context to Docker daemon  ")
    assert "Step 4/4 : RUN echo run-$V\n" in res.stdout
    assert re.search(r" ---> Running in [0-9a-f]{12}\nrun-1\n", res.stdout), res.stdout
    assert f"Successfully tagged {tag}:latest\n" in res.stdout
    image_id = daemon.docker("image", "inspect", "-f", "{{.Id}}", tag).stdout.decode().strip()
    assert iid.read_text() == image_id
    listed = daemon.docker("run", "--rm", tag, "ls", "-A", "/ctx").stdout.decode().split()
    assert sorted(listed) == [".dockerignore", "Dockerfile", "app.txt"]


def test_wharf_build_dockerfile_outside_and_quiet(daemon: Daemon, tag: str,
                                                  tmp_path: Path) -> None:
    ctx = _context(tmp_path, "unused")
    outside = tmp_path / "Outside.Dockerfile"
    outside.write_text("FROM busybox\nCOPY app.txt /app.txt\n")
    res = wharf(daemon, tmp_path, "build", "-q", "-t", tag, "-f", str(outside), str(ctx))
    assert res.returncode == 0, res.stderr
    assert re.fullmatch(r"sha256:[0-9a-f]{64}\n", res.stdout), res.stdout
    out = daemon.docker("run", "--rm", tag, "cat", "/app.txt").stdout
    assert out == b"app\n"


def test_wharf_build_failing_run_exits_with_its_code(daemon: Daemon, tag: str,
                                                     tmp_path: Path) -> None:
    res = wharf(daemon, tmp_path, "build", "-t", tag,
                str(_context(tmp_path, "FROM busybox\nRUN echo before; exit 4\n")))
    assert res.returncode == 4, (res.stdout, res.stderr)
    assert "before\n" in res.stdout
    assert "returned a non-zero code: 4" in res.stderr


def test_wharf_build_context_from_stdin(daemon: Daemon, tag: str, tmp_path: Path) -> None:
    res = wharf(daemon, tmp_path, "build", "-t", tag, "-",
                stdin=b"FROM busybox\nRUN echo from-stdin > /s\n")
    assert res.returncode == 0, res.stderr
    assert daemon.docker("run", "--rm", tag, "cat", "/s").stdout == b"from-stdin\n"


def _wharfd_only(daemon: Daemon) -> None:
    if daemon.name != "wharfd":
        pytest.skip("RUN --mount and build volumes are wharf's (dockerd's classic builder "
                    "has neither)")


def test_wharf_build_secret_reaches_only_its_run(daemon: Daemon, tag: str,
                                                 tmp_path: Path) -> None:
    _wharfd_only(daemon)
    secret = tmp_path / "token"
    secret.write_text("s3cret-value")
    ctx = _context(tmp_path, "FROM busybox\nCOPY . /ctx\n"
                             "RUN --mount=type=secret,id=tok cat /run/secrets/tok > /seen\n")
    res = wharf(daemon, tmp_path, "build", "-t", tag, "--secret", f"id=tok,src={secret}",
                str(ctx))
    assert res.returncode == 0, res.stdout + res.stderr
    assert daemon.docker("run", "--rm", tag, "cat", "/seen").stdout == b"s3cret-value"
    listed = daemon.docker("run", "--rm", tag, "ls", "-A", "/ctx").stdout.decode().split()
    assert not any(name.startswith(".wharf-secret-") for name in listed)
    ls_secrets = daemon.docker("run", "--rm", tag, "ls", "-A", "/run/secrets", check=False)
    assert b"tok" not in ls_secrets.stdout
    history = daemon.docker("history", "--no-trunc", tag).stdout
    assert b"s3cret-value" not in history


def test_wharf_build_volume_is_bound_into_run(daemon: Daemon, tag: str,
                                              tmp_path: Path) -> None:
    _wharfd_only(daemon)
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "in.txt").write_text("from-host\n")
    ctx = _context(tmp_path, "FROM busybox\nRUN cat /mnt/in.txt > /copied\n")
    res = wharf(daemon, tmp_path, "build", "-t", tag, "-v", f"{shared}:/mnt:ro", str(ctx))
    assert res.returncode == 0, res.stdout + res.stderr
    assert daemon.docker("run", "--rm", tag, "cat", "/copied").stdout == b"from-host\n"
    # nothing of the volume, nor its mount point, is left in the image (busybox has no /mnt)
    assert daemon.docker("run", "--rm", tag, "ls", "/mnt", check=False).returncode == 1
