"""What the container side of networking needs from the network side (lane "networks":
``services.networks.NetworkService``; the driver: ``protocols.NetworkDriverPort``), as
Protocols, and the daemon's DNS defaults. docs/contracts.md, "Networking"."""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from wharf.core.netspec import BridgeSpec, EndpointSpec, PortMapping, Sandbox

PREDEFINED = ("bridge", "host", "none")
DEFAULT_NETWORK = "bridge"


class NetworkLike(Protocol):
    """A network record (``core.metadata.NetworkRecord``)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def internal(self) -> bool: ...


class EndpointLike(Protocol):
    """A container's endpoint on one network: Docker's EndpointSettings and the driver's
    spec of its veth."""

    @property
    def settings(self) -> dict[str, Any]: ...
    @property
    def spec(self) -> EndpointSpec: ...


class NetworksPort(Protocol):
    def resolve(self, ref: str) -> NetworkLike: ...  # name, id or prefix; NotFound
    def join(self, container_id: str, network: NetworkLike, endpoint_config: dict[str, Any],
             ifname: str) -> EndpointLike: ...
    def leave(self, container_id: str, network_id: str) -> None: ...
    def restore_endpoint(self, container_id: str, network: NetworkLike,
                         settings: dict[str, Any], ifname: str) -> EndpointLike: ...
    def bridge_spec(self, network: NetworkLike) -> BridgeSpec: ...


class DriverPort(Protocol):
    """The calls of ``protocols.NetworkDriverPort`` the containers make."""

    def create_sandbox(self, container_id: str, endpoints: list[EndpointSpec],
                       dns: bool) -> Sandbox: ...
    def remove_sandbox(self, container_id: str) -> None: ...
    def sandbox_path(self, container_id: str) -> str: ...
    def connect(self, container_id: str, endpoint: EndpointSpec) -> None: ...
    def disconnect(self, container_id: str, endpoint: EndpointSpec) -> None: ...
    def publish(self, mappings: list[PortMapping]) -> None: ...
    def unpublish(self, mappings: list[PortMapping]) -> None: ...
    def bind_dns(self, container_id: str) -> list[socket.socket]: ...  # in its sandbox


@dataclass(frozen=True)
class DnsDefaults:
    """The daemon's ``dns``, ``dns-search``, ``dns-opts`` (used when a container sets none)."""

    servers: tuple[str, ...] = ()
    search: tuple[str, ...] = ()
    options: tuple[str, ...] = ()


class PortsPort(Protocol):
    """Host port bookkeeping (``network.portalloc.PortAllocator``)."""

    def request(self, ip: str, proto: str, start: int = 0, end: int = 0) -> int: ...
    def request_binding(self, host_ip: str, proto: str, host_port: str,
                        dual: bool) -> list[tuple[str, int]]: ...
    def release(self, ip: str, proto: str, port: int) -> None: ...
    def is_held(self, ip: str, proto: str, port: int) -> bool: ...


@dataclass(frozen=True)
class DnsRegistration:
    """One container's names on one network, for the embedded resolver."""

    network: str
    internal: bool
    dns_enabled: bool
    name: str
    aliases: tuple[str, ...]
    ipv4: str
    ipv6: str


class DnsPort(Protocol):
    """The embedded resolver (``container_network_dns.ContainerDns``)."""

    def register(self, container_id: str, entries: Sequence[DnsRegistration],
                 links: dict[str, str], user_ndots: bool) -> None: ...
    def unregister(self, container_id: str, network: str) -> None: ...
    def forget(self, container_id: str) -> None: ...
    async def serve(self, container_id: str, sockets: list[socket.socket],
                    upstreams: Sequence[str]) -> None: ...
    async def stop(self, container_id: str) -> None: ...


@dataclass(frozen=True)
class HostLine:
    """One /etc/hosts line."""

    address: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class EtcInput:
    mode: str  # bridge | host | none
    hostname: str
    domainname: str = ""
    own_addresses: tuple[str, ...] = ()  # the container's addresses (every network)
    embedded_dns: bool = False  # on a user-defined network
    ipv6: bool = False
    extra_hosts: tuple[str, ...] = ()
    links: tuple[HostLine, ...] = ()  # default bridge: alias hostname name per linked one
    host_gateway: str = ""


@dataclass(frozen=True)
class EtcTexts:
    hosts: str
    resolv: str
    upstreams: tuple[str, ...] = ()  # for the embedded resolver
    user_ndots: bool = False


# (what, the host's resolv.conf, the host's /etc/hosts, the DNS settings) -> the texts
EtcBuilder = Callable[[EtcInput, str, str, DnsDefaults], EtcTexts]


@dataclass(frozen=True)
class NetworkingDeps:
    networks: NetworksPort
    driver: DriverPort
    ports: PortsPort
    dns: DnsPort
    etc: EtcBuilder
    dns_defaults: DnsDefaults = DnsDefaults()
    host_hosts: Path = Path("/etc/hosts")  # copied for --network host


@dataclass
class Attachment:
    """One network of a running container, as joined."""

    network: NetworkLike
    endpoint: EndpointLike

    @property
    def dns_enabled(self) -> bool:
        return self.network.name not in PREDEFINED


@dataclass
class ContainerNet:
    """A running container's networking, held by the daemon while it runs."""

    mode: str  # bridge (any bridge network), host, none, container
    sandbox: Sandbox | None = None
    attachments: list[Attachment] = field(default_factory=list)
    mappings: list[PortMapping] = field(default_factory=list)
    netns_path: str | None = None
