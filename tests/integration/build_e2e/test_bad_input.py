"""The bad-input corpus through ``DOCKER_BUILDKIT=0 docker build``: each build fails with
Docker's words, tags nothing, leaves every image and container of the store whole, and writes
nothing on the host outside the build (a sentinel directory that escaping paths aim at stays as
it was)."""

from __future__ import annotations

import re
import tarfile
from pathlib import Path

import pytest
from tests.integration.build_e2e.engines import (
    assert_store_consistent,
    docker_build,
    entry,
    store_view,
    tar_of,
    write_context,
)
from tests.support.daemons import Daemon

PARSE_ERRORS = {
    # Docker 20.10 says "parse error line N", later ones (and wharf) "parse error on line N"
    "unknown-instruction": ("FROM busybox\nFOO bar\n",
                            r"dockerfile parse error (on )?line 2: unknown instruction: FOO"),
    "unterminated-quote": ('FROM busybox\nENV A="foo\n',
                           r"unexpected end of statement while looking for matching "
                           r"double-quote"),
    "missing-from": ("RUN echo hi\n", r"no build stage in current context"),
}
NOT_FOUND = "COPY failed: file not found in build context or excluded by .dockerignore: "


def failed_build(daemon: Daemon, context: Path, tag: str) -> str:
    """Build ``context`` as ``tag``, which must fail and tag nothing; its stderr."""
    before = store_view(daemon)
    res = docker_build(daemon, "-t", tag, str(context))
    assert res.returncode != 0, res.stdout
    assert_store_consistent(daemon, before)
    return str(res.stderr)


@pytest.mark.parametrize("case", sorted(PARSE_ERRORS))
def test_a_dockerfile_that_does_not_parse_fails_with_dockers_words(
        engine: Daemon, tmp_path: Path, case: str) -> None:
    dockerfile, expected = PARSE_ERRORS[case]
    stderr = failed_build(engine, write_context(tmp_path, dockerfile), f"e2e-bad:{case}")
    assert re.search(expected, stderr), stderr


def test_an_unterminated_heredoc_is_refused(engine: Daemon, tmp_path: Path) -> None:
    context = write_context(tmp_path, "FROM busybox\nRUN <<EOF\necho hi\n")
    stderr = failed_build(engine, context, "e2e-bad:heredoc")
    # the classic builder of Docker 20.10 knows no heredocs: it stumbles on the body instead
    expected = ("unknown instruction: ECHO" if engine.name == "dockerd"
                else "dockerfile parse error on line 2: unterminated heredoc")
    assert expected in stderr, stderr


def test_copy_of_a_path_outside_the_context_is_forbidden(engine: Daemon, tmp_path: Path) -> None:
    (tmp_path / "x").write_text("beside the context\n")
    context = write_context(tmp_path / "ctx", "FROM busybox\nCOPY ../x /x\n")
    stderr = failed_build(engine, context, "e2e-bad:dotdot")
    assert "COPY failed: forbidden path outside the build context: ../x ()" in stderr, stderr


def test_copy_of_an_absolute_host_path_looks_inside_the_context(
        engine: Daemon, tmp_path: Path, sentinel: Path) -> None:
    secret = sentinel / "secret"
    context = write_context(tmp_path, f"FROM busybox\nCOPY {secret} /x\n")
    stderr = failed_build(engine, context, "e2e-bad:absolute")
    assert f"{NOT_FOUND}stat {str(secret).lstrip('/')}: file does not exist" in stderr, stderr


@pytest.mark.parametrize(("link", "source"), [("leak", "leak"), ("leakdir", "leakdir/secret")])
def test_copy_through_a_symlink_out_of_the_context_finds_nothing(
        engine: Daemon, tmp_path: Path, sentinel: Path, link: str, source: str) -> None:
    context = write_context(tmp_path, f"FROM busybox\nCOPY {source} /x\n")
    (context / link).symlink_to(sentinel / "secret" if link == "leak" else sentinel)
    stderr = failed_build(engine, context, "e2e-bad:symlink")
    assert f"{NOT_FOUND}stat {source}: file does not exist" in stderr, stderr


def test_copy_of_a_missing_source(engine: Daemon, tmp_path: Path) -> None:
    stderr = failed_build(engine, write_context(tmp_path, "FROM busybox\nCOPY nope /x\n"),
                          "e2e-bad:missing")
    assert f"{NOT_FOUND}stat nope: file does not exist" in stderr, stderr


def test_a_failing_run_stops_the_build_with_its_exit_code(engine: Daemon, tmp_path: Path) -> None:
    context = write_context(tmp_path, "FROM busybox\nRUN echo out && exit 3\nRUN echo never\n")
    before = store_view(engine)
    res = docker_build(engine, "-t", "e2e-bad:run", str(context))
    assert res.returncode == 3, (res.stdout, res.stderr)
    assert "Step 2/3 : RUN echo out && exit 3" in res.stdout
    assert re.search(r" ---> Running in [0-9a-f]{12}\nout\n", res.stdout), res.stdout
    assert "Step 3/3" not in res.stdout
    assert ("The command '/bin/sh -c echo out && exit 3' returned a non-zero code: 3"
            in res.stderr), res.stderr
    assert_store_consistent(engine, before)


def test_a_dockerfile_symlinked_out_of_the_context_is_not_read(
        engine: Daemon, sentinel: Path) -> None:
    """Through the API (the CLI would resolve the link itself and send the file)."""
    outside = sentinel / "Dockerfile"
    outside.write_text("FROM busybox\nRUN echo LEAKED\n")
    try:
        for link in (str(outside), "../../../../../../../.." + str(outside)):
            before = store_view(engine)
            body = tar_of([entry("Dockerfile", tarfile.SYMTYPE, link)])
            status, data = engine.request("POST", "/build?t=e2e-bad:dflink", body,
                                          {"Content-Type": "application/x-tar"})
            text = data.decode(errors="replace")
            assert "LEAKED" not in text and "Step 1/" not in text, text
            assert status >= 400 or "errorDetail" in text, (status, text)
            assert "Cannot locate specified Dockerfile: Dockerfile" in text, text
            assert_store_consistent(engine, before)
    finally:
        outside.unlink()


def hostile_context(case: str, sentinel: Path) -> bytes:
    """A context tar whose entries aim out of the build's directory (at ``sentinel``)."""
    dockerfile = {"Dockerfile": b"FROM busybox\nCOPY . /ctx/\n"}
    aimed = {
        "dotdot": [entry("../../../../../../.." + str(sentinel) + "/pwned")],
        "absolute": [entry(str(sentinel) + "/pwned-abs")],
        "symlink": [entry("esc", tarfile.SYMTYPE, str(sentinel)), entry("esc/pwned-link")],
        "hardlink": [entry("hl", tarfile.LNKTYPE, "../../../../../.." + str(sentinel)
                           + "/secret")],
    }[case]
    return tar_of([entry("Dockerfile"), *aimed], dockerfile)


@pytest.mark.parametrize("case", ["dotdot", "absolute", "symlink", "hardlink"])
def test_a_context_aimed_out_of_the_build_writes_nothing_on_the_host(
        engine: Daemon, sentinel: Path, case: str) -> None:
    """Through the API (the CLI never sends such a tar). Docker cleans some names into the
    context and refuses others; wharf refuses them all but a link it resolves inside the
    context. Either way the host stays as it was (the ``sentinel`` fixture checks it)."""
    before = store_view(engine)
    status, data = engine.request("POST", f"/build?t=e2e-bad:ctx-{case}",
                                  hostile_context(case, sentinel),
                                  {"Content-Type": "application/x-tar"})
    text = data.decode(errors="replace")
    if status == 200 and "errorDetail" not in text:
        shown = engine.docker("run", "--rm", f"e2e-bad:ctx-{case}", "sh", "-c",
                              "cat /ctx/hl 2>/dev/null; true")
        assert b"host secret" not in shown.stdout
        engine.docker("rmi", f"e2e-bad:ctx-{case}")
    assert_store_consistent(engine, before)
