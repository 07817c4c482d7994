"""Addresses of one network: who has which, the next free one, and the MAC Docker derives.

``SubnetAddresses`` tracks one subnet. Never handed out: the subnet's own address (on IPv4 only
when the subnet is bigger than a /31; on IPv6 always), the IPv4 broadcast address (same rule),
the gateway and the auxiliary addresses. A dynamic address is the lowest free one of the
ip-range (the whole subnet without one); a requested one (``--ip``) may be anywhere in the
subnet, as in moby. Without a configured gateway the first dynamic address becomes it.

``NetworkAddresses`` holds a network's subnets and answers with Docker's messages:
``Address already in use``, ``invalid address 10.9.9.9: It does not belong to any of this
network's subnets``, ``no available IPv4 addresses on this network's address pools: net (id)``.
Both round-trip through ``to_state``/``from_state`` (plain JSON values) to be persisted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field

from wharf.core.errors import Forbidden, InvalidParameter, WharfError
from wharf.network.ipam import IPAddress, IpamEntry, IPNetwork

ADDRESS_IN_USE = "Address already in use"


class NoFreeAddress(WharfError):
    """The subnet's range has no free address left (moby: no available addresses on a pool)."""


def mac_from_ipv4(address: ipaddress.IPv4Address) -> str:
    """Docker's MAC for an IPv4 endpoint: 02:42 then the four bytes of the address."""
    return ":".join(f"{byte:02x}" for byte in b"\x02\x42" + address.packed)


def _structural(subnet: IPNetwork) -> set[IPAddress]:
    """The subnet's own address (IPv6 always, IPv4 above a /31) and the IPv4 broadcast."""
    if subnet.version == 6:
        return {subnet.network_address}
    if subnet.prefixlen >= 31:
        return set()
    return {subnet.network_address, subnet.broadcast_address}


@dataclass
class SubnetAddresses:
    """The allocations of one subnet (one ``IpamEntry``).

    Set up as libnetwork does: the gateway is taken first (the configured one, else the first
    free address), then each auxiliary address; a clash answers ``failed to allocate ...``.
    """

    entry: IpamEntry
    gateway: IPAddress = field(init=False)
    reserved: set[IPAddress] = field(init=False)
    allocated: set[IPAddress] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.reserved = _structural(self.entry.subnet)
        self.gateway = self._take_gateway()
        self.reserved.add(self.gateway)
        for name, aux in sorted(self.entry.aux_addresses.items()):
            if aux in self.reserved:
                raise WharfError(
                    f"failed to allocate secondary ip address ({name}:{aux}): {ADDRESS_IN_USE}"
                )
            self.reserved.add(aux)

    def _take_gateway(self) -> IPAddress:
        wanted = self.entry.gateway
        if wanted is not None and wanted in self.reserved:
            raise WharfError(f"failed to allocate gateway ({wanted}): {ADDRESS_IN_USE}")
        if wanted is not None:
            return wanted
        try:
            return self._lowest_free()
        except NoFreeAddress as exc:
            raise WharfError(f"failed to allocate gateway (): {exc}") from exc

    def _taken(self) -> set[IPAddress]:
        return self.reserved | self.allocated

    def _lowest_free(self) -> IPAddress:
        span = self.entry.ip_range or self.entry.subnet
        taken = self._taken()
        # Every step past a candidate passes a taken address, so this is bounded.
        for offset in range(min(len(taken) + 1, span.num_addresses)):
            candidate = span.network_address + offset
            if candidate not in taken:
                return candidate
        raise NoFreeAddress(f"no available addresses in {span}")

    def allocate(self, requested: IPAddress | None = None) -> IPAddress:
        """The lowest free address of the range, or ``requested`` if it is free."""
        if requested is None:
            address = self._lowest_free()
        elif requested not in self.entry.subnet:
            raise InvalidParameter("requested address is out of range")
        elif requested in self._taken():
            raise Forbidden(ADDRESS_IN_USE)
        else:
            address = requested
        self.allocated.add(address)
        return address

    def release(self, address: IPAddress) -> None:
        """Give an allocated address back; releasing one not allocated does nothing."""
        self.allocated.discard(address)

    def to_state(self) -> dict[str, object]:
        return {
            "subnet": str(self.entry.subnet),
            "gateway": str(self.gateway),
            "allocated": sorted(str(a) for a in self.allocated),
        }

    def restore(self, state: dict[str, object]) -> None:
        """Take back allocations saved by ``to_state`` for this same subnet."""
        if state.get("subnet") != str(self.entry.subnet):
            raise InvalidParameter(f"saved state is for {state.get('subnet')}, "
                                   f"not {self.entry.subnet}")
        self.reserved.discard(self.gateway)
        self.gateway = ipaddress.ip_address(str(state["gateway"]))
        self.reserved.add(self.gateway)
        saved = state.get("allocated", [])
        if not isinstance(saved, list):
            raise InvalidParameter("saved state: allocated must be a list")
        allocated = {ipaddress.ip_address(str(text)) for text in saved}
        strays = sorted(str(a) for a in allocated if a not in self.entry.subnet)
        if strays:
            raise InvalidParameter(f"saved state: {', '.join(strays)} not in {self.entry.subnet}")
        self.allocated = allocated


class NetworkAddresses:
    """All subnets of one network; allocation by IP version as moby's endpoints do it."""

    def __init__(self, name: str, network_id: str, entries: Sequence[IpamEntry]) -> None:
        self.name = name
        self.network_id = network_id
        self.subnets = [SubnetAddresses(entry) for entry in entries]

    def allocate(self, version: int, requested: IPAddress | None = None) -> IPAddress:
        """An address of that version: the requested one, else the first subnet with room."""
        for subnet in self.subnets:
            if subnet.entry.version != version:
                continue
            if requested is not None and requested not in subnet.entry.subnet:
                continue
            try:
                return subnet.allocate(requested)
            except NoFreeAddress:
                continue
        if requested is not None:
            raise InvalidParameter(
                f"invalid address {requested}: It does not belong to any of this "
                "network's subnets"
            )
        raise WharfError(
            f"no available IPv{version} addresses on this network's address pools: "
            f"{self.name} ({self.network_id})"
        )

    def release(self, address: IPAddress) -> None:
        for subnet in self.subnets:
            if address in subnet.entry.subnet:
                subnet.release(address)

    def gateways(self) -> list[IPAddress]:
        return [subnet.gateway for subnet in self.subnets]

    def to_state(self) -> list[dict[str, object]]:
        return [subnet.to_state() for subnet in self.subnets]

    @classmethod
    def from_state(
        cls, name: str, network_id: str, entries: Sequence[IpamEntry],
        state: Sequence[dict[str, object]],
    ) -> NetworkAddresses:
        """The network rebuilt from its entries and what ``to_state`` saved."""
        if len(state) != len(entries):
            raise InvalidParameter(
                f"saved state has {len(state)} subnets, the network {len(entries)}"
            )
        network = cls(name, network_id, entries)
        for subnet, saved in zip(network.subnets, state, strict=True):
            subnet.restore(saved)
        return network
