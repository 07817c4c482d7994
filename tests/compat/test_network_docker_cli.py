"""The issue's examples, as written, with the stock docker CLI against wharfd: a user network,
``run -itd --network`` and a second container pinging the first by name, ``run -d -P`` with
an exposed port, ``run -d -p 127.0.0.1:5001:5000``, ``docker port``; and docker-py's view."""

from __future__ import annotations

import contextlib
import json
import socket
import uuid
from collections.abc import Iterator

import docker

from tests.support.daemons import Daemon


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@contextlib.contextmanager
def cleanup(daemon: Daemon, containers: list[str], networks: list[str]) -> Iterator[None]:
    try:
        yield
    finally:
        for name in containers:
            daemon.docker("rm", "-f", name, check=False)
        for name in networks:
            daemon.docker("network", "rm", name, check=False)


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_issue_examples(wharfd: Daemon) -> None:
    net, test1, test2 = unique("test-net"), unique("test1"), unique("test2")
    with cleanup(wharfd, [test1, test2], [net]):
        wharfd.docker("network", "create", "-d", "bridge", net)
        wharfd.docker("run", "-itd", "--name", test1, "--network", net, "busybox", "sh")
        res = wharfd.docker("run", "--rm", "--name", test2, "--network", net, "busybox",
                            "ping", "-c1", "-W2", test1, check=False)
        assert res.returncode == 0, (res.stdout, res.stderr)


def test_publish_all_and_loopback_port(wharfd: Daemon) -> None:
    published, everything = unique("p5001"), unique("pall")
    host_port = 5001 if port_is_free(5001) else 15001
    with cleanup(wharfd, [published, everything], []):
        wharfd.docker("run", "-d", "--name", published, "-p", f"127.0.0.1:{host_port}:5000",
                      "busybox", "sleep", "60")
        lines = wharfd.docker("port", published).stdout.decode().splitlines()
        assert lines == [f"5000/tcp -> 127.0.0.1:{host_port}"]
        wharfd.docker("run", "-d", "--name", everything, "-P", "--expose", "80", "busybox",
                      "sleep", "60")
        lines = wharfd.docker("port", everything).stdout.decode().splitlines()
        assert len(lines) == 2 and lines[0].startswith("80/tcp -> 0.0.0.0:")
        assert lines[1] == "80/tcp -> [::]:" + lines[0].rsplit(":", 1)[1]
        listing = wharfd.docker("ps", "--filter", f"name={everything}", "--format",
                                "{{.Ports}}").stdout.decode()
        assert "->80/tcp" in listing


def test_docker_py_sees_networks_and_ports(wharfd: Daemon, client: docker.DockerClient) -> None:
    net = unique("pynet")
    name = unique("py")
    with cleanup(wharfd, [name], [net]):
        client.networks.create(net, driver="bridge")
        container = client.containers.run("busybox", "sleep 60", name=name, network=net,
                                          detach=True, ports={"80/tcp": ("127.0.0.1", None)})
        container.reload()
        settings = container.attrs["NetworkSettings"]
        assert net in settings["Networks"] and settings["Networks"][net]["IPAddress"]
        assert settings["Ports"]["80/tcp"][0]["HostIp"] == "127.0.0.1"
        inspect = json.loads(wharfd.docker("network", "inspect", net).stdout)
        assert container.id in inspect[0]["Containers"]
