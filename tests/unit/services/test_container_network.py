"""Containers on networks, against fakes of the network side: what the start path joins and
asks the driver for, what the container's /etc files say, inspect's NetworkSettings, ports,
DNS names, exits, connect/disconnect, Docker's errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from tests.unit.services.fakes import World, body
from tests.unit.services.network_fakes import FakeDriver, FakeNetworks, networking

from wharf.core.errors import Conflict, Forbidden, InvalidParameter, NotFound
from wharf.network.dns_names import Action
from wharf.network.dnsmsg import TYPE_A
from wharf.services.containers import ContainerService

Scenario = Callable[[ContainerService, FakeNetworks, FakeDriver, World], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario) -> None:
    async def main() -> None:
        world = World(tmp_path)
        (tmp_path / "hosts").write_text("127.0.0.1\tlocalhost\n10.9.9.9\tbuildhost\n")
        net, networks, driver = networking(tmp_path)
        world.networking = net
        service = world.containers()
        try:
            await scenario(service, networks, driver, world)
        finally:
            await service.shutdown()

    asyncio.run(main())


def etc(world: World, container_id: str, name: str) -> str:
    return (world.root / "data" / "containers" / container_id / name).read_text()


def create(service: ContainerService, name: str = "", **fields: Any) -> str:
    host = fields.pop("HostConfig", {})
    record, _ = service.create(name, body({"Image": "busybox", "Cmd": ["sleep", "9"],
                                           "HostConfig": host, **fields}))
    return record.id


def test_default_bridge_start_joins_eth0_and_shows_dockers_settings(tmp_path: Path) -> None:
    async def scenario(service: ContainerService, networks: FakeNetworks, driver: FakeDriver,
                       world: World) -> None:
        cid = create(service, "web")
        await service.start(cid)
        spec = json.loads((world.root / "data/containers" / cid / "config.json").read_text())
        assert world.spec.built[-1]["netns_path"] == driver.sandbox_path(cid)
        assert spec is not None
        assert [e.ifname for e in driver.sandboxes[cid]] == ["eth0"]
        assert driver.calls[0] == ("create_sandbox", (cid, False))  # no DNS on the default
        settings = service.get(cid).network_settings
        assert settings["IPAddress"] == "172.30.0.2" and settings["Gateway"] == "172.30.0.1"
        assert settings["SandboxKey"] == driver.sandbox_path(cid)
        assert list(settings["Networks"]) == ["bridge"]
        assert settings["Networks"]["bridge"]["DNSNames"] is None
        assert "172.30.0.2\t" + cid[:12] in etc(world, cid, "hosts")
        resolv = etc(world, cid, "resolv.conf")
        assert "nameserver 10.0.0.2" in resolv and "127.0.0" not in resolv
        await service.kill(cid, "KILL")
        await service.wait(cid, "not-running")
        await service._deps.networking.drain()  # type: ignore[union-attr]
        assert cid not in driver.sandboxes and ("remove_sandbox", cid) in driver.calls
        assert not networks.joined
        stopped = service.get(cid).network_settings
        assert stopped["IPAddress"] == "" and list(stopped["Networks"]) == ["bridge"]

    run(tmp_path, scenario)


def test_user_network_names_resolve_and_resolv_conf_names_the_embedded_dns(
        tmp_path: Path) -> None:
    async def scenario(service: ContainerService, networks: FakeNetworks, driver: FakeDriver,
                       world: World) -> None:
        networks.add("test-net", "10.50.0.0/24")
        one = create(service, "test1", HostConfig={"NetworkMode": "test-net"},
                     NetworkingConfig={"EndpointsConfig": {"test-net": {"Aliases": ["db"]}}})
        two = create(service, "test2", HostConfig={"NetworkMode": "test-net"})
        await service.start(one)
        await service.start(two)
        assert driver.calls[0] == ("create_sandbox", (one, True))
        resolver = service._deps.networking.dns.resolver  # type: ignore[union-attr]
        for name in ("test1", "db", one[:12], "TEST1", "test1.test-net"):
            decision = resolver.decide(two, name, TYPE_A)
            assert decision.action is Action.ANSWER, name
            assert [str(a) for a in decision.addresses] == ["10.50.0.2"]
        assert resolver.decide(two, "example.org", TYPE_A).action is Action.FORWARD
        resolv = etc(world, two, "resolv.conf")
        assert "nameserver 127.0.0.11" in resolv and "ndots:0" in resolv
        endpoint = service.get(one).network_settings["Networks"]["test-net"]
        assert endpoint["Aliases"] == ["db"]
        assert endpoint["DNSNames"] == ["test1", "db", one[:12]]
        assert service.get(one).network_settings["IPAddress"] == ""  # not the default bridge
        linking = create(service, "linking", HostConfig={"NetworkMode": "test-net"},
                         NetworkingConfig={"EndpointsConfig": {"test-net": {
                             "Links": ["test2:backend"]}}})
        await service.start(linking)
        assert [str(a) for a in resolver.decide(linking, "backend", TYPE_A).addresses] == [
            "10.50.0.3"]
        assert resolver.decide(one, "backend", TYPE_A).action is Action.FORWARD  # its own

    run(tmp_path, scenario)


def test_published_ports_same_port_on_both_families_and_publish_all(tmp_path: Path) -> None:
    async def scenario(service: ContainerService, networks: FakeNetworks, driver: FakeDriver,
                       world: World) -> None:
        cid = create(service, HostConfig={
            "PortBindings": {"5000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "5001"}]},
            "PublishAllPorts": True}, ExposedPorts={"80/tcp": {}, "53/udp": {}})
        await service.start(cid)
        ports = service.get(cid).network_settings["Ports"]
        assert ports["5000/tcp"] == [{"HostIp": "127.0.0.1", "HostPort": "5001"}]
        v4, v6 = ports["80/tcp"]
        assert v4["HostIp"] == "0.0.0.0" and v6["HostIp"] == "::"
        assert v4["HostPort"] == v6["HostPort"] and 40000 <= int(v4["HostPort"]) <= 40100
        assert len(ports["53/udp"]) == 2
        assert {m.container_ip for m in driver.published} == {"172.30.0.2"}
        assert len(driver.published) == 5

    run(tmp_path, scenario)


def test_port_already_allocated_fails_the_start_and_leaves_nothing(tmp_path: Path) -> None:
    async def scenario(service: ContainerService, networks: FakeNetworks, driver: FakeDriver,
                       world: World) -> None:
        bindings = {"PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]}}
        first, second = create(service, HostConfig=bindings), create(service, HostConfig=bindings)
        await service.start(first)
        with pytest.raises(Conflict, match=r"Bind for 127\.0\.0\.1:8080 failed: port is already "
                                           "allocated"):
            await service.start(second)
        assert second not in driver.sandboxes
        assert (second, networks.resolve("bridge").id) not in networks.joined
        driver.taken_ports.add(9090)  # bound by another program: found by publish
        third = create(service, "third", HostConfig={
            "PortBindings": {"80/tcp": [{"HostPort": "9090"}]}})
        with pytest.raises(Conflict, match="driver failed programming external connectivity "
                                           "on endpoint third"):
            await service.start(third)
        assert third not in driver.sandboxes
        assert not service._deps.networking.ports.is_held(  # type: ignore[union-attr]
            "0.0.0.0", "tcp", 9090)

    run(tmp_path, scenario)


def test_none_host_and_container_modes(tmp_path: Path) -> None:
    async def scenario(service: ContainerService, networks: FakeNetworks, driver: FakeDriver,
                       world: World) -> None:
        none = create(service, HostConfig={"NetworkMode": "none"})
        host = create(service, HostConfig={"NetworkMode": "host",
                                           "ExtraHosts": ["gw:host-gateway"]})
        await service.start(none)
        await service.start(host)
        assert driver.sandboxes[none] == []
        assert list(service.get(none).network_settings["Networks"]) == ["none"]
        assert host not in driver.sandboxes
        assert world.spec.built[-1]["netns_path"] is None
        assert list(service.get(host).network_settings["Networks"]) == ["host"]
        hosts = etc(world, host, "hosts")
        assert "10.9.9.9\tbuildhost" in hosts and "172.30.0.1\tgw" in hosts
        joined = create(service, HostConfig={"NetworkMode": f"container:{none[:12]}"})
        await service.start(joined)
        assert world.spec.built[-1]["netns_path"] == driver.sandbox_path(none)
        assert world.spec.built[-1]["etc_files"]["/etc/hosts"].parent.name == none

    run(tmp_path, scenario)


def test_create_checks_networks_and_dockers_messages(tmp_path: Path) -> None:
    async def scenario(service: ContainerService, networks: FakeNetworks, driver: FakeDriver,
                       world: World) -> None:
        unknown = create(service, HostConfig={"NetworkMode": "nope"})  # dockerd: at start
        with pytest.raises(NotFound, match="network nope not found"):
            await service.start(unknown)
        assert unknown not in driver.sandboxes
        with pytest.raises(InvalidParameter, match="user specified IP address is supported on "
                                                   "user defined networks only"):
            create(service, NetworkingConfig={"EndpointsConfig": {"bridge": {
                "IPAMConfig": {"IPv4Address": "172.30.0.9"}}}})
        with pytest.raises(NotFound):
            create(service, HostConfig={"NetworkMode": "container:ghost"})
        networks.add("n1", "10.60.0.0/24")
        cid = create(service, HostConfig={"NetworkMode": "n1"}, NetworkingConfig={
            "EndpointsConfig": {"n1": {"IPAMConfig": {"IPv4Address": "10.60.0.77"}}}},
            MacAddress="02:42:0a:3c:00:4d")
        config = service.get(cid).networking_config["EndpointsConfig"]["n1"]
        assert config["MacAddress"] == "02:42:0a:3c:00:4d"
        await service.start(cid)
        assert service.get(cid).network_settings["Networks"]["n1"]["IPAddress"] == "10.60.0.77"

    run(tmp_path, scenario)


def test_connect_and_disconnect_running_and_stopped(tmp_path: Path) -> None:
    async def scenario(service: ContainerService, networks: FakeNetworks, driver: FakeDriver,
                       world: World) -> None:
        networks.add("extra", "10.70.0.0/24")
        cid = create(service, "c1")
        stopped = create(service, "c2")
        await service.start(cid)
        await service.connect_network("c1", "extra", {"Aliases": ["x"]})
        assert [e.ifname for e in driver.sandboxes[cid]] == ["eth0", "eth1"]
        assert driver.sandboxes[cid][1].bridge.startswith("wbr-")
        assert set(service.get(cid).network_settings["Networks"]) == {"bridge", "extra"}
        assert "10.70.0.2" in etc(world, cid, "hosts")
        assert ("bind_dns", cid) in driver.calls  # its first network with DNS
        assert "nameserver 127.0.0.11" in etc(world, cid, "resolv.conf")
        with pytest.raises(Forbidden, match="endpoint with name c1 already exists in network "
                                            "extra"):
            await service.connect_network("c1", "extra", {})
        await service.disconnect_network("c1", "extra", False)
        assert [e.ifname for e in driver.sandboxes[cid]] == ["eth0"]
        assert (cid, networks.resolve("extra").id) not in networks.joined
        await service.connect_network("c2", "extra", None)
        assert list(service.get(stopped).networking_config["EndpointsConfig"]) == [
            "bridge", "extra"]
        await service.start(stopped)
        assert [e.ifname for e in driver.sandboxes[stopped]] == ["eth0", "eth1"]
        host = create(service, HostConfig={"NetworkMode": "host"})
        with pytest.raises(InvalidParameter, match="connected to host network"):
            await service.connect_network(host, "extra", None)

    run(tmp_path, scenario)


def test_restore_holds_ports_again_and_publishes(tmp_path: Path) -> None:
    async def scenario(service: ContainerService, networks: FakeNetworks, driver: FakeDriver,
                       world: World) -> None:
        cid = create(service, HostConfig={"PortBindings": {"80/tcp": [{"HostPort": "8081"}]}})
        await service.start(cid)
        networks.add("named", "10.80.0.0/24")
        on_user = create(service, "u1", HostConfig={"NetworkMode": "named"})
        await service.start(on_user)
        moved = create(service, "moved")
        await service.start(moved)
        await service.connect_network(moved, "named", None)
        await service.disconnect_network(moved, "bridge", False)
        net2, _, driver2 = networking(tmp_path)
        net2.deps.networks.networks.update(networks.networks)  # type: ignore[attr-defined]
        world.networking = net2
        restored = world.containers()
        await restored.restore()
        assert net2.ports.is_held("0.0.0.0", "tcp", 8081)
        assert {m.host_port for m in driver2.published} == {8081}
        assert ("bind_dns", on_user) in driver2.calls and ("bind_dns", cid) not in driver2.calls
        [moved_net] = net2.running[moved].attachments
        assert moved_net.network.name == "named" and moved_net.endpoint.spec.ifname == "eth1"
        decision = net2.dns.resolver.decide(on_user, "u1", TYPE_A)  # type: ignore[attr-defined]
        assert [str(a) for a in decision.addresses] == ["10.80.0.2"]
        await restored.shutdown()

    run(tmp_path, scenario)
