"""testcontainers-python drives wharfd unchanged (``DOCKER_HOST`` at wharfd, no Ryuk reaper):
a busybox httpd with an exposed port, ``wait_for_logs``, ``exec``, a request to the published
port on 127.0.0.1, stop; an image it builds, run on a network of its own under an alias, with
a host directory mounted."""

from __future__ import annotations

import os
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemons import Daemon

testcontainers = pytest.importorskip("testcontainers")
# (a string predicate is deprecated in testcontainers 4.10+ in favour of wait strategies)
pytestmark = pytest.mark.filterwarnings("ignore:The wait_for_logs function:DeprecationWarning")

from testcontainers.core.container import DockerContainer  # noqa: E402
from testcontainers.core.image import DockerImage  # noqa: E402
from testcontainers.core.network import Network  # noqa: E402
from testcontainers.core.waiting_utils import wait_for_logs  # noqa: E402


def fetch(url: str, timeout: float = 20) -> bytes:
    """GET ``url`` once the server listens ("serving" is logged just before it binds)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as got:
                body: bytes = got.read()
                return body
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


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
        assert fetch(f"http://127.0.0.1:{port}/index.html") == b"hello from wharf\n"
        container_id = wrapped.id
    # stop() (leaving the with block) removes the container and its volumes
    listed = wharfd.json("GET", "/containers/json?all=1")
    assert container_id not in [c["Id"] for c in listed]  # type: ignore[index,union-attr]
    assert "Error handling request" not in wharfd.log_tail(1_000_000)


def test_a_built_image_on_a_network_with_an_alias(wharfd: Daemon, pointed_at_wharfd: None,
                                                  tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        'FROM busybox\nCMD ["sh", "-c", "echo ready; exec httpd -f -p 80 -h /etc"]\n')
    (tmp_path / "mounted.txt").write_text("from the host\n")
    with DockerImage(path=str(tmp_path), tag="tc-built:1") as image, Network() as network:
        server = (DockerContainer(str(image)).with_network(network)
                  .with_network_aliases("web")
                  .with_volume_mapping(str(tmp_path), "/host", "ro"))
        with server:
            wait_for_logs(server, "^ready$", timeout=30)
            assert server.exec(["cat", "/host/mounted.txt"]).output == b"from the host\n"
            client = (DockerContainer("busybox:latest").with_network(network)
                      .with_command(["sh", "-c", "for i in $(seq 100); do"
                                     " wget -q -O - http://web/hostname && exit; sleep 0.1;"
                                     " done; exit 1"]))
            with client:
                assert client.get_wrapped_container().wait(timeout=30)["StatusCode"] == 0
                assert client.get_logs()[0].strip() == server.exec(["hostname"]).output.strip()
