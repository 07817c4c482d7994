"""docker-py 7's network and volume APIs against wharfd: a network with IPAM, containers
connected with aliases that others resolve, disconnect, removal right after a container with
a published port is removed; volumes created, labelled, shared, listed and removed."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import docker
import docker.errors
import pytest
from docker.models.networks import Network
from docker.types import IPAMConfig, IPAMPool


@pytest.fixture
def network(client: docker.DockerClient, wharfd_subnet: str) -> Iterator[Network]:
    ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=wharfd_subnet,
                                             gateway=wharfd_subnet.replace("0/24", "1"))])
    created = client.networks.create(f"py-net-{uuid.uuid4().hex[:8]}", driver="bridge",
                                     ipam=ipam, labels={"suite": "docker-py"})
    try:
        yield created
    finally:
        for container in client.containers.list(all=True, filters={"label": "suite=net"}):
            container.remove(force=True)
        created.remove()


@pytest.fixture(scope="module")
def wharfd_subnet() -> str:
    """A /24 for the IPAM test inside 10.213.0.0/16, where no host route is (as private_bridge
    picks)."""
    return f"10.213.{200 + os.getpid() % 50}.0/24"


def test_ipam_config_is_kept(network: Network, wharfd_subnet: str) -> None:
    network.reload()
    config = network.attrs["IPAM"]["Config"]
    assert config == [{"Subnet": wharfd_subnet, "Gateway": wharfd_subnet.replace("0/24", "1")}]
    assert network.attrs["Labels"] == {"suite": "docker-py"}


def test_connect_with_aliases_and_a_fixed_address(client: docker.DockerClient,
                                                  network: Network,
                                                  wharfd_subnet: str) -> None:
    server = client.containers.create("busybox", ["sleep", "300"], labels={"suite": "net"})
    network.connect(server, aliases=["db", "database"],
                    ipv4_address=wharfd_subnet.replace("0/24", "50"))
    server.start()
    out = client.containers.run(
        "busybox", ["sh", "-c", "ping -c1 -W2 db >/dev/null && nslookup database"],
        network=network.name, remove=True, labels={"suite": "net"})
    assert wharfd_subnet.replace("0/24", "50").encode() in out
    server.reload()
    settings = server.attrs["NetworkSettings"]["Networks"][network.name]
    assert {"db", "database"} <= set(settings["Aliases"])
    network.reload()
    assert server.id in [c.id for c in network.containers]
    network.disconnect(server, force=True)
    server.reload()
    assert network.name not in server.attrs["NetworkSettings"]["Networks"]


@pytest.mark.parametrize("gone", ["removed", "stopped", "waited for"])
def test_a_network_is_removable_as_soon_as_its_containers_are_gone(
        client: docker.DockerClient, gone: str) -> None:
    for _ in range(3):
        net = client.networks.create(f"py-rm-{uuid.uuid4().hex[:8]}")
        command = ["true"] if gone == "waited for" else ["sleep", "300"]
        container = client.containers.run("busybox", command, detach=True,
                                          network=net.name, ports={"8080/tcp": None})
        if gone == "removed":
            container.remove(force=True)
        elif gone == "stopped":
            container.stop(timeout=0)
        else:  # as `docker run` without --rm returns
            assert container.wait(timeout=30)["StatusCode"] == 0
        net.remove()  # no "has active endpoints": they went before stop, wait or rm answered
        with pytest.raises(docker.errors.NotFound):
            client.networks.get(net.id)
        if gone != "removed":
            container.remove()


def test_volumes_lifecycle(client: docker.DockerClient) -> None:
    name = f"py-vol-{uuid.uuid4().hex[:8]}"
    volume = client.volumes.create(name, labels={"suite": "docker-py"})
    try:
        assert volume.attrs["Driver"] == "local"
        assert [v.name for v in client.volumes.list(filters={"label": "suite=docker-py"})] \
            == [name]
        client.containers.run("busybox", ["sh", "-c", "echo kept > /v/file"],
                              volumes={name: {"bind": "/v", "mode": "rw"}}, remove=True)
        out = client.containers.run("busybox", ["cat", "/v/file"],
                                    volumes=[f"{name}:/v:ro"], remove=True)
        assert out == b"kept\n"
        in_use = client.containers.create("busybox", volumes=[f"{name}:/v"])
        with pytest.raises(docker.errors.APIError) as refused:
            volume.remove()
        assert refused.value.status_code == 409
        in_use.remove()
    finally:
        volume.remove(force=True)
    assert name not in [v.name for v in client.volumes.list()]
