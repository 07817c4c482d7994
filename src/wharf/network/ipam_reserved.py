"""What the host already uses, so that a new network's subnet stays clear of it.

As moby does, a subnet chosen from the default pools must not overlap:

- the host's IPv4 on-link routes (routes with a destination and no gateway: the networks the
  host reaches directly, like a LAN or a VPN's tunnel network; the default route is not one);
- the nameservers of the host's resolv.conf (each as a single-address prefix), of the family
  being allocated, so that a container can still reach them.

IPv6 has no on-link routes in this sense; only nameservers count there. The caller adds the
subnets of existing networks and passes the whole list to ``pools.allocate_subnet``.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterable

from wharf.network.ipam import IPAddress, IPNetwork

_RTF_UP = 0x1
_RTF_GATEWAY = 0x2


def _hex_ipv4(field: str) -> ipaddress.IPv4Address:
    """An address as /proc/net/route writes it: 8 hex digits, host (little-endian) order."""
    return ipaddress.IPv4Address(struct.pack("<I", int(field, 16)))


def _onlink_route(fields: list[str]) -> ipaddress.IPv4Network | None:
    if len(fields) < 8:
        return None
    try:
        destination, flags, mask = _hex_ipv4(fields[1]), int(fields[3], 16), _hex_ipv4(fields[7])
        network = ipaddress.IPv4Network(f"{destination}/{mask}")
    except ValueError:
        return None
    if not flags & _RTF_UP or flags & _RTF_GATEWAY or network.prefixlen == 0:
        return None
    return network


def onlink_routes_from_proc(proc_net_route: str) -> list[ipaddress.IPv4Network]:
    """The on-link IPv4 routes of /proc/net/route's text (its header line is skipped)."""
    routes: list[ipaddress.IPv4Network] = []
    for line in proc_net_route.splitlines()[1:]:
        route = _onlink_route(line.split())
        if route is not None and route not in routes:
            routes.append(route)
    return routes


def reserved_prefixes(
    version: int,
    onlink_routes: Iterable[IPNetwork],
    nameservers: Iterable[IPAddress],
) -> list[IPNetwork]:
    """Prefixes a new subnet of that IP version must avoid, sorted by address."""
    reserved: list[IPNetwork] = [
        ipaddress.ip_network(server) for server in nameservers if server.version == version
    ]
    if version == 4:
        reserved.extend(route for route in onlink_routes if route.version == 4)
    return sorted(set(reserved), key=lambda net: (int(net.network_address), net.prefixlen))
