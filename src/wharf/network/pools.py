"""Address pools for networks created without ``--subnet``, and the choice of a free subnet.

A pool is a base prefix cut into subnets of one size (daemon.json ``default-address-pools``:
``[{"base": "172.80.0.0/16", "size": 24}]``). Docker's defaults are 172.17.0.0/16, 172.18.0.0/16,
172.19.0.0/16, 172.20.0.0/14, 172.24.0.0/14, 172.28.0.0/14 (each cut into /16s) and
192.168.0.0/16 (cut into /20s). wharf's own default bridge ``wharf0`` takes 172.28.0.0/16 so that
it and Docker's docker0 (172.17.0.0/16) coexist; wharf's default pools are Docker's without
those two /16s.

``allocate_subnet`` gives the lowest subnet of the pools (pools sorted by base, as moby does)
that overlaps nothing in use: other networks' subnets and the host's routes, passed in. A
default route (a /0) reserves nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from wharf.core.errors import InvalidParameter, NotFound
from wharf.network.ipam import IPAddress, IpamEntry, IPNetwork, RawIpamEntry, parse_ipam_config

WHARF_BRIDGE_NAME = "wharf0"
WHARF_BRIDGE_SUBNET = ipaddress.IPv4Network("172.28.0.0/16")
WHARF_BRIDGE_GATEWAY = ipaddress.IPv4Address("172.28.0.1")
DOCKER_BRIDGE_SUBNET = ipaddress.IPv4Network("172.17.0.0/16")


@dataclass(frozen=True)
class AddressPool:
    """A base prefix cut into subnets of ``size`` prefix bits."""

    base: IPNetwork
    size: int

    def __post_init__(self) -> None:
        if not self.base.prefixlen <= self.size <= self.base.max_prefixlen:
            raise InvalidParameter(
                f"invalid address pool {self.base}: size {self.size} must be between "
                f"{self.base.prefixlen} and {self.base.max_prefixlen}"
            )


def _pool(base: str, size: int) -> AddressPool:
    return AddressPool(ipaddress.ip_network(base), size)


DOCKER_DEFAULT_POOLS: tuple[AddressPool, ...] = (
    _pool("172.17.0.0/16", 16),
    _pool("172.18.0.0/16", 16),
    _pool("172.19.0.0/16", 16),
    _pool("172.20.0.0/14", 16),
    _pool("172.24.0.0/14", 16),
    _pool("172.28.0.0/14", 16),
    _pool("192.168.0.0/16", 20),
)

# Docker's defaults minus 172.17.0.0/16 (docker0) and 172.28.0.0/16 (wharf0): 172.28.0.0/14 is
# what remains of it after its first /16, written as the prefixes that cover that remainder.
WHARF_DEFAULT_POOLS: tuple[AddressPool, ...] = (
    _pool("172.18.0.0/16", 16),
    _pool("172.19.0.0/16", 16),
    _pool("172.20.0.0/14", 16),
    _pool("172.24.0.0/14", 16),
    _pool("172.29.0.0/16", 16),
    _pool("172.30.0.0/15", 16),
    _pool("192.168.0.0/16", 20),
)


def default_bridge_entry(bip: str = "", fixed_cidr: str = "") -> IpamEntry:
    """wharf0's subnet from daemon.json: ``bip`` is the gateway with its prefix length
    (``172.28.0.1/16``, the default), ``fixed-cidr`` the range containers get addresses from."""
    try:
        gateway = ipaddress.IPv4Interface(bip) if bip else ipaddress.IPv4Interface(
            f"{WHARF_BRIDGE_GATEWAY}/{WHARF_BRIDGE_SUBNET.prefixlen}")
    except ValueError as exc:
        raise InvalidParameter(f"invalid bip {bip}: {exc}") from exc
    raw = RawIpamEntry(str(gateway.network), fixed_cidr, str(gateway.ip))
    [entry] = parse_ipam_config([raw], enable_ipv6=False)
    return entry


def parse_address_pools(raw: Sequence[Mapping[str, object]]) -> tuple[AddressPool, ...]:
    """daemon.json's ``default-address-pools`` (``base`` must be a network, ``size`` an int)."""
    pools: list[AddressPool] = []
    for item in raw:
        base, size = item.get("base"), item.get("size")
        if not isinstance(base, str) or isinstance(size, bool) or not isinstance(size, int):
            raise InvalidParameter(f"invalid default address pool: {dict(item)}")
        try:
            network = ipaddress.ip_network(base)
        except ValueError as exc:
            raise InvalidParameter(f"invalid default address pool base {base}: {exc}") from exc
        pools.append(AddressPool(network, size))
    return tuple(pools)


def _first_subnet_from(start: IPAddress, pool: AddressPool) -> IPNetwork | None:
    """The first ``pool.size`` subnet at or after ``start`` inside the pool, if any."""
    block = 1 << (pool.base.max_prefixlen - pool.size)
    offset = int(start) - int(pool.base.network_address)
    aligned = -(-offset // block) * block
    if aligned >= pool.base.num_addresses:
        return None
    first = pool.base.network_address + aligned
    return ipaddress.ip_network(f"{first}/{pool.size}")


def _blocker(candidate: IPNetwork, in_use: Sequence[IPNetwork]) -> IPNetwork | None:
    for used in in_use:
        if used.overlaps(candidate):
            return used
    return None


def _free_subnet_in(pool: AddressPool, in_use: Sequence[IPNetwork]) -> IPNetwork | None:
    candidate = _first_subnet_from(pool.base.network_address, pool)
    # Each miss jumps past the end of a distinct in-use prefix, so this ends in time.
    for _ in range(len(in_use) + 1):
        if candidate is None:
            return None
        blocker = _blocker(candidate, in_use)
        if blocker is None:
            return candidate
        end = max(candidate.broadcast_address, blocker.broadcast_address)
        if int(end) >= int(pool.base.broadcast_address):
            return None
        candidate = _first_subnet_from(end + 1, pool)
    return None


def allocate_subnet(
    pools: Iterable[AddressPool], in_use: Iterable[IPNetwork], *, version: int = 4
) -> IPNetwork:
    """The lowest free subnet of the pools of that IP version, or Docker's ``NotFound``."""
    taken = [net for net in in_use if net.version == version and net.prefixlen > 0]
    ordered = sorted(
        (pool for pool in pools if pool.base.version == version),
        key=lambda pool: (int(pool.base.network_address), pool.base.prefixlen),
    )
    for pool in ordered:
        subnet = _free_subnet_in(pool, taken)
        if subnet is not None:
            return subnet
    raise NotFound(
        f"could not find an available, non-overlapping IPv{version} address pool "
        "among the defaults to assign to the network"
    )
