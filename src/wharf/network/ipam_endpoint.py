"""A container's requested addresses on a network (``--ip``, ``--ip6``), checked before allocation.

As the Engine does it: each text must be an address of its family and not unspecified
(``invalid IPv4 address: 10.0.0``); an address may only be asked for on a network whose subnets
the user configured (else ``user specified IP address is supported only when connecting to
networks with user configured subnets``), and must lie in one of them. Faults are collected and
answered together, one ``* fault`` line each when there are several::

    invalid config for network test-net: invalid endpoint settings:
    no configured subnet or ip-range contain the IP address 10.9.9.9

The wrapping lines are as remembered from moby's daemon, not checked against its source here.

The allocation itself (free or ``Address already in use``) is ``ipam_alloc``'s.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from wharf.core.errors import InvalidParameter
from wharf.network.ipam import IPAddress, IPNetwork

NOT_USER_CONFIGURED = (
    "user specified IP address is supported only when connecting to networks with user "
    "configured subnets"
)


@dataclass(frozen=True)
class NetworkSubnet:
    """A subnet of the network, and whether the user gave it (``--subnet``) or a pool did."""

    subnet: IPNetwork
    user_configured: bool


@dataclass(frozen=True)
class RequestedAddresses:
    ipv4: ipaddress.IPv4Address | None
    ipv6: ipaddress.IPv6Address | None


def _parse_ipv4(text: str) -> ipaddress.IPv4Address | None:
    """Go's net.ParseIP + To4: an IPv4 address, also written IPv4-mapped."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            return None
        return address.ipv4_mapped
    return address


def _parse_ipv6(text: str) -> ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.scope_id is not None or address.ipv4_mapped is not None:
        return None
    return address


def _placement_fault(address: IPAddress, subnets: Sequence[NetworkSubnet]) -> str:
    own = [s for s in subnets if s.user_configured and s.subnet.version == address.version]
    if not own:
        return NOT_USER_CONFIGURED
    if any(address in s.subnet for s in own):
        return ""
    return f"no configured subnet or ip-range contain the IP address {address}"


def _joined(faults: Sequence[str]) -> str:
    if len(faults) == 1:
        return faults[0]
    return "* " + "\n* ".join(faults)


def check_requested_addresses(
    network_name: str, ipv4: str, ipv6: str, subnets: Sequence[NetworkSubnet]
) -> RequestedAddresses:
    """The parsed ``--ip``/``--ip6`` (empty text: none asked), or ``InvalidParameter``."""
    faults: list[str] = []
    v4 = _parse_ipv4(ipv4) if ipv4 else None
    v6 = _parse_ipv6(ipv6) if ipv6 else None
    if ipv4 and (v4 is None or v4.is_unspecified):
        faults.append(f"invalid IPv4 address: {ipv4}")
        v4 = None
    if ipv6 and (v6 is None or v6.is_unspecified):
        faults.append(f"invalid IPv6 address: {ipv6}")
        v6 = None
    for address in (v4, v6):
        fault = _placement_fault(address, subnets) if address is not None else ""
        if fault:
            faults.append(fault)
    if faults:
        raise InvalidParameter(
            f"invalid config for network {network_name}: invalid endpoint settings:\n"
            + _joined(faults)
        )
    return RequestedAddresses(v4, v6)
