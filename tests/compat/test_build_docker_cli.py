"""The stock docker CLI's classic builder (``DOCKER_BUILDKIT=0 docker build``) against wharfd:
``-f`` inside and outside the context, ``--build-arg``, ``--target``, ``--label``, ``-q``,
``.dockerignore``, the cache on a rebuild, a failing RUN's exit code.

The same tests run against a private dockerd when ``WHARF_COMPAT_DOCKERD=1`` (to check that
they assert Docker's behaviour).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.compat.build_support import daemon, unique_tag
from tests.support.daemons import DOCKER_CLI, Daemon

__all__ = ["daemon"]

DOCKERFILE = """\
FROM busybox
ARG V=default
LABEL from=dockerfile
COPY hello.txt /hello.txt
RUN echo "v=$V" > /v.txt
CMD ["cat", "/v.txt"]
"""

MULTI_STAGE = """\
FROM busybox AS base
RUN echo base > /base
FROM base AS test
RUN echo test > /test
FROM busybox AS final
COPY --from=base /base /copied
RUN echo final > /final
"""


@pytest.fixture
def tag(daemon: Daemon) -> Iterator[str]:
    with unique_tag(daemon, "wharf-build") as name:
        yield name


def build(daemon: Daemon, *args: str, stdin: bytes | None = None,
          check: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(daemon.docker_env(), DOCKER_BUILDKIT="0")
    res = subprocess.run([DOCKER_CLI, "build", *args], env=env, input=stdin,
                         capture_output=True, timeout=300, check=False)
    result = subprocess.CompletedProcess(res.args, res.returncode,
                                         res.stdout.decode(errors="replace"),
                                         res.stderr.decode(errors="replace"))
    if check and res.returncode != 0:
        raise AssertionError(f"docker build {' '.join(args)} -> {res.returncode}\n"
                             f"{result.stdout}\n{result.stderr}\n{daemon.log_tail()}")
    return result


def context(tmp_path: Path, dockerfile: str = DOCKERFILE, name: str = "Dockerfile") -> Path:
    ctx = tmp_path / "ctx"
    ctx.mkdir(exist_ok=True)
    (ctx / name).parent.mkdir(parents=True, exist_ok=True)
    (ctx / name).write_text(dockerfile)
    (ctx / "hello.txt").write_text("hello\n")
    return ctx


def run(daemon: Daemon, image: str, *command: str) -> str:
    return daemon.docker("run", "--rm", image, *command).stdout.decode()


def test_build_with_f_build_arg_and_label(daemon: Daemon, tag: str, tmp_path: Path) -> None:
    ctx = context(tmp_path, name="sub/Build.df")
    res = build(daemon, "-t", tag, "-f", str(ctx / "sub" / "Build.df"), "--build-arg", "V=x",
                "--label", "l=v", str(ctx))
    # --label ends the build with a LABEL step of its own, as the classic builder does
    assert "Step 1/7 : FROM busybox" in res.stdout
    assert 'Step 5/7 : RUN echo "v=$V" > /v.txt' in res.stdout  # as written
    assert "Step 7/7 : LABEL l=v" in res.stdout
    assert re.search(r" ---> Running in [0-9a-f]{12}\n", res.stdout)
    assert re.search(r"Successfully built [0-9a-f]{12}\n", res.stdout)
    assert f"Successfully tagged {tag}:latest" in res.stdout
    assert run(daemon, tag) == "v=x\n"
    assert run(daemon, tag, "cat", "/hello.txt") == "hello\n"
    inspected = json.loads(daemon.docker("image", "inspect", tag).stdout)[0]
    assert inspected["Config"]["Labels"] == {"from": "dockerfile", "l": "v"}
    assert inspected["Config"]["Cmd"] == ["cat", "/v.txt"]
    history = daemon.docker("history", "--no-trunc", "--format", "{{.CreatedBy}}",
                            tag).stdout.decode()
    assert '|1 V=x /bin/sh -c echo "v=$V" > /v.txt' in history
    assert '/bin/sh -c #(nop)  CMD ["cat" "/v.txt"]' in history
    assert "/bin/sh -c #(nop)  LABEL l=v" in history


def test_a_rebuild_uses_the_cache(daemon: Daemon, tag: str, tmp_path: Path) -> None:
    ctx = context(tmp_path)
    first = build(daemon, "-t", tag, str(ctx))
    second = build(daemon, "-t", tag, str(ctx))
    assert " ---> Using cache" not in first.stdout.split("Step 2/6")[1]
    assert second.stdout.count(" ---> Using cache") == 5
    assert first.stdout.splitlines()[-2] == second.stdout.splitlines()[-2]  # same image


def test_dockerfile_outside_the_context(daemon: Daemon, tag: str, tmp_path: Path) -> None:
    ctx = context(tmp_path)
    (ctx / "Dockerfile").unlink()
    outside = tmp_path / "Outside.Dockerfile"
    outside.write_text("FROM busybox\nCOPY . /ctx\n")
    build(daemon, "-t", tag, "-f", str(outside), str(ctx))
    assert run(daemon, tag, "ls", "-A", "/ctx").split() == ["hello.txt"]


def test_dockerfile_from_stdin(daemon: Daemon, tag: str, tmp_path: Path) -> None:
    build(daemon, "-t", tag, "-f", "-", str(context(tmp_path)),
          stdin=b"FROM busybox\nCOPY hello.txt /\n")
    assert run(daemon, tag, "cat", "/hello.txt") == "hello\n"


def test_target_builds_only_what_the_stage_needs(daemon: Daemon, tag: str,
                                                 tmp_path: Path) -> None:
    res = build(daemon, "-t", tag, "--target", "test", str(context(tmp_path, MULTI_STAGE)))
    assert "RUN echo final" not in res.stdout
    assert run(daemon, tag, "cat", "/base", "/test") == "base\ntest\n"
    build(daemon, "-t", tag, str(context(tmp_path, MULTI_STAGE)))
    assert run(daemon, tag, "cat", "/copied", "/final") == "base\nfinal\n"


def test_quiet_prints_only_the_image_id(daemon: Daemon, tag: str, tmp_path: Path) -> None:
    res = build(daemon, "-q", "-t", tag, str(context(tmp_path)))
    assert re.fullmatch(r"sha256:[0-9a-f]{64}\n", res.stdout), res.stdout
    image_id = daemon.docker("image", "inspect", "-f", "{{.Id}}", tag).stdout.decode().strip()
    assert res.stdout.strip() == image_id


def test_dockerignore_keeps_files_out_of_the_image(daemon: Daemon, tag: str,
                                                  tmp_path: Path) -> None:
    ctx = context(tmp_path, "FROM busybox\nCOPY . /ctx\n")
    (ctx / "secret.key").write_text("no")
    (ctx / ".dockerignore").write_text("*.key\n")
    build(daemon, "-t", tag, str(ctx))
    assert sorted(run(daemon, tag, "ls", "-A", "/ctx").split()) == [
        ".dockerignore", "Dockerfile", "hello.txt"]


def test_a_failing_run_exits_with_its_code(daemon: Daemon, tag: str, tmp_path: Path) -> None:
    res = build(daemon, "-t", tag, str(context(tmp_path, "FROM busybox\nRUN exit 3\n")),
                check=False)
    assert res.returncode == 3, (res.stdout, res.stderr)
    assert "The command '/bin/sh -c exit 3' returned a non-zero code: 3" in res.stderr
    assert daemon.docker("images", "-q", tag).stdout.strip() == b""


def test_a_bad_dockerfile_is_an_error_naming_the_line(daemon: Daemon, tag: str,
                                                      tmp_path: Path) -> None:
    res = build(daemon, "-t", tag, str(context(tmp_path, "FROM busybox\nFOO bar\n")),
                check=False)
    assert res.returncode == 1
    assert re.search(r"dockerfile parse error (on )?line 2: unknown instruction: FOO",
                     res.stderr, re.IGNORECASE), res.stderr


def test_builder_prune(daemon: Daemon, tag: str, tmp_path: Path) -> None:
    build(daemon, "-t", tag, str(context(tmp_path)))
    res = daemon.docker("builder", "prune", "-f")
    assert "Total reclaimed space:" in res.stdout.decode()
    everything = daemon.docker("builder", "prune", "-a", "-f")
    assert "Total reclaimed space:" in everything.stdout.decode()
