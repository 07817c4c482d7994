"""The network service's shared state and lookups: its dependencies, the records, the
addresses of each bridge network (in memory), endpoints by network, and events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from wharf.core.errors import InvalidParameter, NotFound
from wharf.core.metadata import NetworkRecord, NetworkRecords
from wharf.core.netspec import BridgeSpec
from wharf.network.ipam import IPNetwork
from wharf.network.ipam_alloc import NetworkAddresses
from wharf.services.events import EventBus
from wharf.services.networks_config import PREDEFINED, NetworkDefaults
from wharf.services.networks_create import record_entries
from wharf.services.networks_endpoints import EndpointRecord
from wharf.services.networks_host import host_reserved, interface_exists
from wharf.services.networks_options import record_bridge_options
from wharf.services.protocols import NetworkDriverPort

__all__ = ["NetworkBase", "NetworkDeps", "NetworkRef", "network_id_of"]


class HasNetworkId(Protocol):
    """A network record, or anything that names one by id (the container side's view)."""

    @property
    def id(self) -> str: ...


NetworkRef = HasNetworkId | str  # a record, or a name, id or id prefix


def network_id_of(network: NetworkRef) -> str:
    return network if isinstance(network, str) else network.id


@dataclass
class NetworkDeps:
    records: NetworkRecords
    driver: NetworkDriverPort
    events: EventBus
    defaults: NetworkDefaults = field(default_factory=NetworkDefaults)
    # container id → (name, hostname), for endpoints' names and DNS names
    container_info: Callable[[str], tuple[str, str]] = lambda _cid: ("", "")
    reserved: Callable[[int], list[IPNetwork]] = host_reserved
    interface_exists: Callable[[str], bool] = interface_exists


class NetworkBase:
    """Lookups and the state every part of the service shares (one event loop's)."""

    def __init__(self, deps: NetworkDeps) -> None:
        self._deps = deps
        self._records = deps.records
        self._lock = asyncio.Lock()
        self._addresses: dict[str, NetworkAddresses] = {}
        self._endpoints: dict[str, dict[str, EndpointRecord]] = {}
        self._removing: set[str] = set()

    def _new_addresses(self, record: NetworkRecord) -> NetworkAddresses:
        return NetworkAddresses(record.name, record.id, record_entries(record))

    def resolve(self, ref: str) -> NetworkRecord:
        """By full id, then exact name, then unique id prefix (moby's FindNetwork)."""
        records = self._records.list_networks()
        by_name = [r for r in records if r.name == ref]
        by_prefix = [r for r in records if ref and r.id.startswith(ref)]
        for record in records:
            if record.id == ref:
                return record
        if len(by_name) == 1:
            return by_name[0]
        if len(by_prefix) == 1:
            return by_prefix[0]
        if len(by_prefix) > 1:
            raise InvalidParameter(f"network {ref} is ambiguous ({len(by_prefix)} matches "
                                   "found based on ID prefix)")
        raise NotFound(f"network {ref} not found")

    def _in_use(self, network_id: str) -> bool:
        return bool(self._endpoints.get(network_id))

    def bridge_spec(self, network: NetworkRef) -> BridgeSpec:
        """What the driver makes for a bridge network (its gateways are the allocator's)."""
        record = network if isinstance(network, NetworkRecord) else self.resolve(
            network_id_of(network))
        if record.driver != "bridge":
            raise InvalidParameter(f"network {record.name} has no bridge")
        addresses = self._addresses.get(record.id) or self._new_addresses(record)
        options = record_bridge_options(record.options)
        return BridgeSpec(
            ifname=record.bridge,
            addresses=tuple(f"{s.gateway}/{s.entry.subnet.prefixlen}"
                            for s in addresses.subnets),
            internal=record.internal, icc=options.icc, masquerade=options.masquerade,
            user_defined=record.name not in PREDEFINED, mtu=options.mtu,
            enable_ipv6=record.enable_ipv6)

    def bridge_specs(self) -> list[BridgeSpec]:
        """Every bridge network's (the container side's sweep at start keeps their rules)."""
        return [self.bridge_spec(r) for r in self._records.list_networks()
                if r.driver == "bridge"]

    def _emit(self, action: str, record: NetworkRecord, container_id: str = "") -> None:
        attributes = {"name": record.name, "type": record.driver}
        if container_id:
            attributes["container"] = container_id
        self._deps.events.publish("network", action, record.id, attributes)
