"""``network create``'s ``--subnet``/``--ip-range``/``--gateway``/``--aux-address`` grouped into
IPAM Config entries as the docker CLI groups them, with its client-side messages (a gateway
outside every subnet is refused here, before the daemon is asked)."""

from __future__ import annotations

import ipaddress

from wharf.cli.command import CommandFailed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise CommandFailed(1, f"invalid CIDR address: {text}") from None


def _contains(subnet: str, data: str) -> bool:
    """Whether ``data`` (an address or a CIDR) falls inside ``subnet``."""
    network = _network(subnet)
    address_text = data.split("/", 1)[0]
    try:
        address = ipaddress.ip_address(address_text)
    except ValueError:
        raise CommandFailed(1, f"invalid CIDR address: {data}") from None
    return address.version == network.version and address in network


def _attach(entries: dict[str, dict[str, Any]], subnets: list[str], value: str, key: str,
            what: str) -> None:
    matched = False
    for subnet in subnets:
        if not _contains(subnet, value):
            continue
        if entries[subnet].get(key):
            kind = "ranges" if key == "IPRange" else "gateways"
            preposition = "on" if key == "IPRange" else "for"
            raise CommandFailed(1, f"cannot configure multiple {kind} ({value}, "
                                   f"{entries[subnet][key]}) {preposition} the same subnet "
                                   f"({subnet})")
        entries[subnet][key] = value
        matched = True
    if not matched:
        raise CommandFailed(1, f"no matching subnet for {what} {value}")


def consolidate_ipam(subnets: list[str], ranges: list[str], gateways: list[str],
                     aux: dict[str, str]) -> list[dict[str, Any]]:
    if len(subnets) < len(ranges) or len(subnets) < len(gateways):
        raise CommandFailed(1, "every ip-range or gateway must have a corresponding subnet")
    entries: dict[str, dict[str, Any]] = {}
    for subnet in subnets:
        for other in entries:
            if _network(subnet).overlaps(_network(other)):
                raise CommandFailed(1, "multiple overlapping subnet configuration is not "
                                       "supported")
        entries[subnet] = {"Subnet": subnet, "AuxiliaryAddresses": {}}
    for ip_range in ranges:
        _attach(entries, subnets, ip_range, "IPRange", "range")
    for gateway in gateways:
        _attach(entries, subnets, gateway, "Gateway", "gateway")
    for name, address in aux.items():
        owner = next((s for s in subnets if _contains(s, address)), None)
        if owner is None:
            raise CommandFailed(1, f"no matching subnet for aux-address {address}")
        entries[owner]["AuxiliaryAddresses"][name] = address
    return list(entries.values())

