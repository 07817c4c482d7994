"""What the host already uses, read for the network service: on-link routes and resolvers
(a pool subnet must avoid them, ``network.ipam_reserved``) and interface names (a bridge name
given with ``com.docker.network.bridge.name`` must not take over a foreign interface)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from wharf.network.ipam import IPAddress, IPNetwork
from wharf.network.ipam_reserved import onlink_routes_from_proc, reserved_prefixes

PROC_NET_ROUTE = Path("/proc/net/route")
RESOLV_CONF = Path("/etc/resolv.conf")
SYS_CLASS_NET = Path("/sys/class/net")


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _nameservers(text: str) -> list[IPAddress]:
    found: list[IPAddress] = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "nameserver":
            try:
                found.append(ipaddress.ip_address(words[1].split("%")[0]))
            except ValueError:
                continue
    return found


def host_reserved(version: int) -> list[IPNetwork]:
    """Prefixes of that IP version a pool subnet must not overlap on this host."""
    routes = onlink_routes_from_proc(_read(PROC_NET_ROUTE))
    return reserved_prefixes(version, routes, _nameservers(_read(RESOLV_CONF)))


def interface_exists(name: str) -> bool:
    return (SYS_CLASS_NET / name).exists()
