"""What a build leaves in the store, through ``DOCKER_BUILDKIT=0 docker build``: a successful
build's intermediate images go with its tag; ``--force-rm`` takes a failed RUN's container
away too."""

from __future__ import annotations

from pathlib import Path

from tests.integration.build_e2e.engines import docker_build, store_view, write_context
from tests.support.daemons import Daemon

STEPS = """\
FROM busybox
ENV GREETING=hello
WORKDIR /work
COPY note.txt .
RUN echo "$GREETING" > greeting && cat note.txt greeting
LABEL org.example.e2e=store
CMD ["cat", "/work/greeting"]
"""


def test_removing_the_tag_removes_every_intermediate_image(engine: Daemon,
                                                            tmp_path: Path) -> None:
    before = store_view(engine)
    context = write_context(tmp_path, STEPS, {"note.txt": b"a note\n"})
    res = docker_build(engine, "-t", "e2e-store:latest", str(context))
    assert res.returncode == 0, (res.stdout, res.stderr)
    assert "a note\nhello\n" in res.stdout
    built = store_view(engine)
    assert len(built.images - before.images) == 6  # one per step after FROM
    assert built.containers == before.containers  # --rm (the default) took them away
    assert engine.docker("run", "--rm", "e2e-store:latest").stdout == b"hello\n"
    engine.docker("rmi", "e2e-store:latest")
    assert store_view(engine) == before


def test_force_rm_removes_the_container_of_a_failed_run(engine: Daemon, tmp_path: Path) -> None:
    before = store_view(engine)
    context = write_context(tmp_path, "FROM busybox\nRUN touch /made && exit 5\n")
    res = docker_build(engine, "--force-rm", "-t", "e2e-store:failed", str(context))
    assert res.returncode == 5, (res.stdout, res.stderr)
    assert store_view(engine) == before
