"""testcontainers-python drives wharfd unchanged (``DOCKER_HOST`` at wharfd, no Ryuk reaper):
a busybox httpd with an exposed port, ``wait_for_logs``, ``exec``, a request to the published
port on 127.0.0.1, stop."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator

import pytest

from tests.support.daemons import Daemon

testcontainers = pytest.importorskip("testcontainers")

from testcontainers.core.container import DockerContainer  # noqa: E402
from testcontainers.core.waiting_utils import wait_for_logs  # noqa: E402


@pytest.fixture
def pointed_at_wharfd(wharfd: Daemon) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("DOCKER_HOST", "TESTCONTAINERS_RYUK_DISABLED",
                                            "DOCKER_CONTEXT", "TESTCONTAINERS_HOST_OVERRIDE")}
    os.environ.update(DOCKER_HOST=wharfd.host, TESTCONTAINERS_RYUK_DISABLED="true")
    os.environ.pop("DOCKER_CONTEXT", None)
    os.environ.pop("TESTCONTAINERS_HOST_OVERRIDE", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# (a string predicate is deprecated in testcontainers 4.10+ in favour of wait strategies)
@pytest.mark.filterwarnings("ignore:The wait_for_logs function:DeprecationWarning")
def test_an_httpd_container(wharfd: Daemon, pointed_at_wharfd: None) -> None:
    container = (DockerContainer("busybox:latest")
                 .with_command(["sh", "-c", "mkdir /www; echo hello from wharf > /www/index.html;"
                                " echo serving; exec httpd -f -v -p 8000 -h /www"])
                 .with_exposed_ports(8000))
    with container:
        wait_for_logs(container, "^serving$", timeout=30)
        result = container.exec(["cat", "/www/index.html"])
        assert (result.exit_code, result.output) == (0, b"hello from wharf\n")
        host = container.get_container_host_ip()
        port = int(container.get_exposed_port(8000))
        # outside a container the docker host; inside one (as in CI) its network's gateway
        wrapped = container.get_wrapped_container()
        wrapped.reload()
        gateway = wrapped.attrs["NetworkSettings"]["Gateway"]
        assert host in ("localhost", gateway)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=10) as got:
            assert got.read() == b"hello from wharf\n"
        container_id = wrapped.id
    # stop() (leaving the with block) removes the container and its volumes
    listed = wharfd.json("GET", "/containers/json?all=1")
    assert container_id not in [c["Id"] for c in listed]  # type: ignore[index,union-attr]
    assert "Error handling request" not in wharfd.log_tail(1_000_000)
