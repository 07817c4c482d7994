"""The containers' side of networking, built for ``daemon.wiring``: the network service and the
driver (lane "networks") plus what only the containers use: the host port book, the embedded
resolver's names and servers, the /etc file builder, the daemon's DNS defaults."""

from __future__ import annotations

from pathlib import Path

from wharf.daemon.netconfig import NetworkOptions
from wharf.network.portalloc import PortAllocator, parse_ephemeral_range
from wharf.network.proxy import port_in_use
from wharf.services import container_network_etc
from wharf.services.container_network import ContainerNetworking
from wharf.services.container_network_dns import ContainerDns
from wharf.services.container_network_types import (
    DnsDefaults,
    DriverPort,
    NetworkingDeps,
    NetworksPort,
)

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def container_networking(options: NetworkOptions, networks: NetworksPort,
                         driver: DriverPort) -> ContainerNetworking:
    try:
        ephemeral = parse_ephemeral_range(EPHEMERAL_RANGE.read_text())
    except OSError:
        ephemeral = parse_ephemeral_range(None)
    return ContainerNetworking(NetworkingDeps(
        networks=networks, driver=driver,
        ports=PortAllocator(ephemeral=ephemeral, busy=port_in_use),
        dns=ContainerDns(), etc=container_network_etc.build,
        dns_defaults=DnsDefaults(options.dns, options.dns_search, options.dns_opts),
    ))
