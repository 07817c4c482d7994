"""A real-world multi-stage build through ``DOCKER_BUILDKIT=0 docker build``: hello.c compiled
with gcc in a Debian 12 stage (debootstrap's minbase with gcc and libc6-dev, cached by
``tests/support/debian.py``), the static binary copied into a busybox stage, run. A stage
nothing needs is built by Docker's classic builder and skipped by wharf's (as BuildKit does)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.build_e2e.engines import docker_build, write_context
from tests.support.daemons import Daemon
from tests.support.debian import debian_tar_or_skip, import_rootfs

# the first run on a machine makes the rootfs (debootstrap: about a minute), past the usual
# 120 s a test may take
pytestmark = [pytest.mark.debian, pytest.mark.timeout(900)]

HELLO_C = b"""\
#include <stdio.h>
int main(int argc, char **argv) {
    printf("hello from a %s stage, %d args\\n", STAGE, argc);
    return 0;
}
"""
DOCKERFILE = """\
ARG GCC_IMAGE=e2e-debian-gcc:12
FROM ${GCC_IMAGE} AS build
ARG STAGE=compiled
WORKDIR /src
COPY hello.c .
RUN gcc -static -O2 -DSTAGE="\\"$STAGE\\"" -o /hello hello.c && strip /hello
FROM busybox AS unused
RUN echo the unused stage ran
FROM busybox
COPY --from=build /hello /usr/local/bin/hello
ENTRYPOINT ["hello"]
CMD ["one", "two"]
"""


@pytest.fixture(scope="module")
def gcc_engine(engine: Daemon) -> Iterator[Daemon]:
    base = debian_tar_or_skip("gcc")
    import_rootfs(engine, base.path, "e2e-debian-gcc:12")
    yield engine


def test_a_c_program_compiled_in_debian_runs_in_busybox(gcc_engine: Daemon,
                                                         tmp_path: Path) -> None:
    context = write_context(tmp_path, DOCKERFILE, {"hello.c": HELLO_C})
    res = docker_build(gcc_engine, "-t", "e2e-hello:latest", "--build-arg", "STAGE=debian",
                       str(context))
    assert res.returncode == 0, (res.stdout, res.stderr)
    assert re.search(r"Step \d+/\d+ : FROM \$\{GCC_IMAGE\} AS build", res.stdout), res.stdout
    if gcc_engine.name == "wharfd":  # the classic builder builds every stage; wharf skips
        assert "the unused stage ran" not in res.stdout, res.stdout
    assert "Successfully tagged e2e-hello:latest" in res.stdout
    ran = gcc_engine.docker("run", "--rm", "e2e-hello:latest")
    assert ran.stdout == b"hello from a debian stage, 3 args\n"
    inspected = json.loads(gcc_engine.docker("image", "inspect", "e2e-hello:latest").stdout)[0]
    busybox = json.loads(gcc_engine.docker("image", "inspect", "busybox").stdout)[0]
    assert len(inspected["RootFS"]["Layers"]) == len(busybox["RootFS"]["Layers"]) + 1
    assert inspected["Config"]["Entrypoint"] == ["hello"]
    assert inspected["Config"]["Cmd"] == ["one", "two"]
    history = gcc_engine.docker("history", "--no-trunc", "--format", "{{.CreatedBy}}",
                                "e2e-hello:latest").stdout.decode()
    assert re.search(r"/bin/sh -c #\(nop\) COPY file:[0-9a-f]{64} in /usr/local/bin/hello",
                     history), history
    assert_cached_rebuild(gcc_engine, context, res.stdout)
    gcc_engine.docker("rmi", "e2e-hello:latest")


def assert_cached_rebuild(daemon: Daemon, context: Path, first_output: str) -> None:
    """The same build again: every step from the cache, nothing run, the same image."""
    again = docker_build(daemon, "-t", "e2e-hello:latest", "--build-arg", "STAGE=debian",
                         str(context))
    assert again.returncode == 0, (again.stdout, again.stderr)
    assert "Running in" not in again.stdout, again.stdout
    assert again.stdout.count(" ---> Using cache") >= 4, again.stdout
    built = [re.findall(r"Successfully built ([0-9a-f]{12})", out)
             for out in (first_output, again.stdout)]
    assert built[0] == built[1] and len(built[0]) == 1, built
