"""What a new network's subnet must avoid: on-link routes and nameservers, as moby."""

from __future__ import annotations

import ipaddress

from wharf.network.ipam_reserved import onlink_routes_from_proc, reserved_prefixes
from wharf.network.pools import WHARF_DEFAULT_POOLS, allocate_subnet

# A recorded /proc/net/route: default via 192.168.1.254, the LAN, docker0, a VPN route through a
# gateway, a route that is down, and a line too short to be one.
PROC_NET_ROUTE = (
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
    "wlan0\t00000000\tFE01A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
    "wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0\n"
    "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
    "tun0\t000012AC\t0100080A\t0003\t0\t0\t50\t0000FFFF\t0\t0\t0\n"
    "tun0\t0000080A\t00000000\t0001\t0\t0\t50\t0000FFFF\t0\t0\t0\n"
    "eth1\t000013AC\t00000000\t0000\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
    "bogus\t00\n"
    "eth2\tZZZZZZZZ\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
)


def test_onlink_routes_are_those_without_a_gateway() -> None:
    assert onlink_routes_from_proc(PROC_NET_ROUTE) == [
        ipaddress.IPv4Network("192.168.1.0/24"),
        ipaddress.IPv4Network("172.17.0.0/16"),
        ipaddress.IPv4Network("10.8.0.0/16"),
    ]


def test_empty_or_header_only_gives_nothing() -> None:
    assert onlink_routes_from_proc("") == []
    assert onlink_routes_from_proc(PROC_NET_ROUTE.splitlines()[0]) == []


def test_reserved_ipv4_has_routes_and_v4_nameservers_sorted() -> None:
    routes = onlink_routes_from_proc(PROC_NET_ROUTE)
    servers = [ipaddress.ip_address("172.18.0.53"), ipaddress.ip_address("2001:db8::53")]
    assert [str(p) for p in reserved_prefixes(4, routes, servers)] == [
        "10.8.0.0/16", "172.17.0.0/16", "172.18.0.53/32", "192.168.1.0/24"]


def test_reserved_ipv6_has_only_v6_nameservers() -> None:
    routes = onlink_routes_from_proc(PROC_NET_ROUTE)
    servers = [ipaddress.ip_address("172.18.0.53"), ipaddress.ip_address("2001:db8::53")]
    assert [str(p) for p in reserved_prefixes(6, routes, servers)] == ["2001:db8::53/128"]


def test_a_nameserver_pushes_the_new_subnet_along() -> None:
    reserved = reserved_prefixes(4, [], [ipaddress.ip_address("172.18.0.53")])
    assert allocate_subnet(WHARF_DEFAULT_POOLS, reserved) == ipaddress.ip_network("172.19.0.0/16")
