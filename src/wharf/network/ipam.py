"""A network's IPAM configuration, parsed and checked as Docker does it.

A network has one entry per subnet (``--subnet``, ``--ip-range``, ``--gateway``,
``--aux-address``; in the API ``IPAM.Config[]``). ``parse_ipam_config`` turns the raw strings
into typed entries, collecting every fault first and answering them together as the Engine
does::

    invalid network config:
    invalid gateway 10.1.0.1: parent subnet 10.0.0.0/24 doesn't contain this address

(with several faults, one ``* fault`` line each). ``check_no_overlap`` refuses a subnet that
shares addresses with another network's: ``Pool overlaps with other one on this address space``.

Decision: any overlap is refused. Docker skips the check when ``--ip-range`` is given (moby
#46756 calls that an inconsistency); wharf does not copy it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from wharf.core.errors import Forbidden, InvalidParameter

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

POOL_OVERLAP = "Pool overlaps with other one on this address space"

# Go's netip.ParsePrefix wants "addr/bits" with decimal bits and no zone; Python would also take
# a netmask ("/255.0.0.0") or a bare address, which Docker refuses.
_PREFIX_SHAPE = re.compile(r"^[^/%]+/(0|[1-9][0-9]{0,2})$")


@dataclass(frozen=True)
class RawIpamEntry:
    """One ``IPAM.Config`` entry as the client sent it: strings, empty when not given."""

    subnet: str = ""
    ip_range: str = ""
    gateway: str = ""
    aux_addresses: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IpamEntry:
    """One checked subnet of a network; every address here lies inside ``subnet``."""

    subnet: IPNetwork
    ip_range: IPNetwork | None = None
    gateway: IPAddress | None = None
    aux_addresses: Mapping[str, IPAddress] = field(default_factory=dict)

    @property
    def version(self) -> int:
        return self.subnet.version


def _family(version: int) -> str:
    return f"IPv{version}"


def _parse_interface(text: str) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface | None:
    """``text`` as an address with its prefix length (host bits kept), or None if malformed."""
    if not _PREFIX_SHAPE.match(text):
        return None
    try:
        return ipaddress.ip_interface(text)
    except ValueError:
        return None


def _parse_address(text: str) -> IPAddress | None:
    if "%" in text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _prefix_text(iface: ipaddress.IPv4Interface | ipaddress.IPv6Interface) -> str:
    return f"{iface.ip}/{iface.network.prefixlen}"


def _range_faults(text: str, subnet: IPNetwork) -> tuple[IPNetwork | None, list[str]]:
    iface = _parse_interface(text)
    if iface is None:
        return None, [f"invalid ip-range {text}: invalid CIDR block notation"]
    if iface.version != subnet.version:
        family = _family(subnet.version)
        return None, [f"invalid ip-range {text}: parent subnet is an {family} block"]
    faults: list[str] = []
    ip_range = iface.network
    if ip_range.prefixlen < subnet.prefixlen:
        faults.append(
            f"invalid ip-range {text}: CIDR block is bigger than its parent subnet {subnet}"
        )
    if iface.ip != ip_range.network_address:
        faults.append(f"invalid ip-range {_prefix_text(iface)}: it should be {ip_range}")
    if not subnet.overlaps(ip_range):
        faults.append(f"invalid ip-range {text}: parent subnet {subnet} doesn't contain ip-range")
    return ip_range, faults


def _address_fault(text: str, subnet: IPNetwork) -> tuple[IPAddress | None, str]:
    address = _parse_address(text)
    if address is None:
        return None, "invalid address"
    if address.version != subnet.version:
        return None, f"parent subnet is an {_family(subnet.version)} block"
    if address not in subnet:
        return None, f"parent subnet {subnet} doesn't contain this address"
    return address, ""


def _parse_entry(raw: RawIpamEntry, faults: list[str], enable_ipv6: bool) -> IpamEntry | None:
    """The typed entry, or None when it has faults (appended to ``faults``)."""
    iface = _parse_interface(raw.subnet)
    if iface is None:
        faults.append(f"invalid subnet {raw.subnet}: invalid CIDR block notation")
        return None
    if iface.version == 6 and not enable_ipv6:
        faults.append(f"invalid subnet {raw.subnet}: IPv6 has not been enabled for this network")
        return None
    subnet = iface.network
    start = len(faults)
    if iface.ip != subnet.network_address:
        faults.append(f"invalid subnet {_prefix_text(iface)}: it should be {subnet}")
    ip_range: IPNetwork | None = None
    if raw.ip_range:
        ip_range, range_faults = _range_faults(raw.ip_range, subnet)
        faults.extend(range_faults)
    gateway: IPAddress | None = None
    if raw.gateway:
        gateway, fault = _address_fault(raw.gateway, subnet)
        if fault:
            faults.append(f"invalid gateway {raw.gateway}: {fault}")
    aux: dict[str, IPAddress] = {}
    for name in sorted(raw.aux_addresses):
        address, fault = _address_fault(raw.aux_addresses[name], subnet)
        if address is None:
            faults.append(f"invalid auxiliary address {name}: {fault}")
        else:
            aux[name] = address
    if len(faults) > start:
        return None
    return IpamEntry(subnet, ip_range, gateway, aux)


def _joined(faults: Sequence[str]) -> str:
    if len(faults) == 1:
        return f"invalid network config:\n{faults[0]}"
    return "invalid network config:\n" + "\n".join(f"* {fault}" for fault in faults)


def parse_ipam_config(entries: Sequence[RawIpamEntry], *, enable_ipv6: bool) -> list[IpamEntry]:
    """Typed entries, or ``InvalidParameter`` listing every fault in the order Docker gives."""
    faults: list[str] = []
    parsed: list[IpamEntry] = []
    for raw in entries:
        entry = _parse_entry(raw, faults, enable_ipv6)
        if entry is not None:
            parsed.append(entry)
    if faults:
        raise InvalidParameter(_joined(faults))
    return parsed


def check_no_overlap(subnet: IPNetwork, existing: Iterable[IPNetwork]) -> None:
    """Refuse ``subnet`` when it shares an address with another network's subnet."""
    for other in existing:
        if other.version == subnet.version and other.overlaps(subnet):
            raise Forbidden(POOL_OVERLAP)
