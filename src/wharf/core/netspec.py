"""What the network driver (``network.driver.BridgeDriver``) is asked to make: a bridge, a
container's sandbox (its network namespace) with endpoints on bridges, and published ports.
Pure values: ``services`` builds them, the driver makes them real (docs/contracts.md,
"Networking")."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field


@dataclass(frozen=True)
class BridgeSpec:
    """One bridge network on the host."""

    ifname: str  # the bridge interface: the default network's (wharf0) or wbr-<id[:11]>
    addresses: tuple[str, ...]  # gateway/prefix per subnet: "10.1.0.1/24", "fd00:1::1/64"
    internal: bool = False  # no route out (no masquerade, outbound dropped)
    icc: bool = True  # containers on it may talk to each other
    masquerade: bool = True
    user_defined: bool = True  # isolated from other user networks (and the default bridge)
    mtu: int = 0  # 0: kernel default
    enable_ipv6: bool = False


@dataclass(frozen=True)
class EndpointSpec:
    """A container's interface on a bridge: a veth pair, the peer made inside the sandbox."""

    bridge: str  # BridgeSpec.ifname
    ifname: str  # inside the container: eth0, eth1, ...
    host_ifname: str  # the host side: wv<10 hex>
    mac: str
    addresses: tuple[str, ...]  # address/prefix: "10.1.0.2/24", "fd00:1::2/64"
    gateways: tuple[str, ...] = ()  # default routes through this endpoint ("" none)
    mtu: int = 0


@dataclass(frozen=True)
class PortMapping:
    """A published port: host_ip:host_port/proto → container_ip:container_port."""

    proto: str  # tcp | udp | sctp
    host_ip: str  # "0.0.0.0", "::", "127.0.0.1", ...
    host_port: int
    container_ip: str
    container_port: int
    bridge: str  # the container's bridge (firewall rules name it)


@dataclass
class Sandbox:
    """A container's network namespace as the driver made it."""

    container_id: str
    netns_path: str  # the bind mount the runtime joins (spec ``namespaces[].path``)
    dns_sockets: list[socket.socket] = field(default_factory=list)  # udp, tcp on 127.0.0.11:53
