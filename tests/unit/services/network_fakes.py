"""Fakes of the network side (lane "networks": the NetworkService and the driver) for the
container networking tests: in-memory networks with a tiny address book, a driver recording
its calls, with a host port that is "taken" by someone else on demand."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wharf.core.errors import Conflict, NotFound
from wharf.core.netspec import BridgeSpec, EndpointSpec, PortMapping, Sandbox
from wharf.network.portalloc import PortAllocator
from wharf.services import container_network_etc
from wharf.services.container_network import ContainerNetworking
from wharf.services.container_network_dns import ContainerDns
from wharf.services.container_network_types import DnsDefaults, NetworkingDeps


@dataclass(frozen=True)
class FakeNetwork:
    id: str
    name: str
    subnet: str
    internal: bool = False


@dataclass(frozen=True)
class FakeEndpoint:
    settings: dict[str, Any]
    spec: EndpointSpec


@dataclass
class FakeNetworks:
    networks: dict[str, FakeNetwork] = field(default_factory=dict)
    joined: dict[tuple[str, str], FakeEndpoint] = field(default_factory=dict)
    next_host: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, subnet in (("bridge", "172.30.0.0/16"), ("host", ""), ("none", "")):
            self.add(name, subnet)

    def add(self, name: str, subnet: str, internal: bool = False) -> FakeNetwork:
        network = FakeNetwork(f"{len(self.networks) + 1:064x}", name, subnet, internal)
        self.networks[network.id] = network
        return network

    def resolve(self, ref: str) -> FakeNetwork:
        for network in self.networks.values():
            if ref in (network.name, network.id):
                return network
        raise NotFound(f"network {ref} not found")

    def bridge_spec(self, network: Any) -> BridgeSpec:
        net = ipaddress.ip_network(network.subnet)
        return BridgeSpec(self.ifname(network), (f"{net[1]}/{net.prefixlen}",),
                          user_defined=network.name != "bridge")

    def ifname(self, network: Any) -> str:
        return "wt0" if network.name == "bridge" else f"wbr-{network.id[-6:]}"

    def join(self, container_id: str, network: Any, endpoint_config: dict[str, Any],
             ifname: str) -> FakeEndpoint:
        net = ipaddress.ip_network(network.subnet)
        wanted = (endpoint_config.get("IPAMConfig") or {}).get("IPv4Address")
        if not wanted:
            self.next_host[network.id] = self.next_host.get(network.id, 1) + 1
            wanted = str(net[self.next_host[network.id]])
        settings = {"NetworkID": network.id, "EndpointID": "e" * 64, "Gateway": str(net[1]),
                    "IPAddress": wanted, "IPPrefixLen": net.prefixlen,
                    "MacAddress": "02:42:ac:1e:00:02",
                    "Aliases": endpoint_config.get("Aliases")}
        spec = EndpointSpec(self.ifname(network), ifname, "wv" + container_id[:10],
                            settings["MacAddress"], (f"{wanted}/{net.prefixlen}",),
                            (str(net[1]),))
        endpoint = FakeEndpoint(settings, spec)
        self.joined[(container_id, network.id)] = endpoint
        return endpoint

    def leave(self, container_id: str, network_id: str) -> None:
        self.joined.pop((container_id, network_id), None)

    def restore_endpoint(self, container_id: str, network: Any, settings: dict[str, Any],
                         ifname: str) -> FakeEndpoint:
        net = ipaddress.ip_network(network.subnet)
        spec = EndpointSpec(self.ifname(network), ifname, "wv" + container_id[:10],
                            settings["MacAddress"],
                            (f"{settings['IPAddress']}/{net.prefixlen}",))
        endpoint = FakeEndpoint(settings, spec)
        self.joined[(container_id, network.id)] = endpoint
        return endpoint


@dataclass
class FakeDriver:
    netns_dir: Path
    calls: list[tuple[str, Any]] = field(default_factory=list)
    sandboxes: dict[str, list[EndpointSpec]] = field(default_factory=dict)
    published: list[PortMapping] = field(default_factory=list)
    taken_ports: set[int] = field(default_factory=set)  # bound by someone else

    def create_sandbox(self, container_id: str, endpoints: list[EndpointSpec],
                       dns: bool) -> Sandbox:
        self.calls.append(("create_sandbox", (container_id, dns)))
        self.sandboxes[container_id] = list(endpoints)
        return Sandbox(container_id, self.sandbox_path(container_id))

    def remove_sandbox(self, container_id: str) -> None:
        self.calls.append(("remove_sandbox", container_id))
        self.sandboxes.pop(container_id, None)

    def sandbox_path(self, container_id: str) -> str:
        return str(self.netns_dir / container_id)

    def connect(self, container_id: str, endpoint: EndpointSpec) -> None:
        self.sandboxes[container_id].append(endpoint)

    def disconnect(self, container_id: str, endpoint: EndpointSpec) -> None:
        self.sandboxes[container_id] = [e for e in self.sandboxes[container_id]
                                        if e.ifname != endpoint.ifname]

    def publish(self, mappings: list[PortMapping]) -> None:
        for mapping in mappings:
            if mapping.host_port in self.taken_ports:
                raise Conflict(f"Bind for {mapping.host_ip}:{mapping.host_port} failed: port "
                               "is already allocated")
        self.published += mappings

    def unpublish(self, mappings: list[PortMapping]) -> None:
        self.published = [m for m in self.published if m not in mappings]

    def bind_dns(self, container_id: str) -> list[socket.socket]:
        self.calls.append(("bind_dns", container_id))
        return []


def networking(root: Path) -> tuple[ContainerNetworking, FakeNetworks, FakeDriver]:
    networks = FakeNetworks()
    driver = FakeDriver(root / "netns")
    deps = NetworkingDeps(networks=networks, driver=driver,
                          ports=PortAllocator(ephemeral=(40000, 40100)), dns=ContainerDns(),
                          etc=container_network_etc.build, dns_defaults=DnsDefaults(),
                          host_hosts=root / "hosts")
    return ContainerNetworking(deps), networks, driver
