"""Networks: the predefined ``bridge``, ``host`` and ``none``, user-defined bridge networks
(create, inspect, list, remove, prune) and containers' endpoints on them (join, leave), for
the container side (docs/contracts.md, "Networking").

Records live in the ``networks`` table; bridges are made by the driver
(``NetworkDriverPort``, blocking: called in a worker thread); addresses are held in memory
(``networks_endpoints``). Create, remove and prune run one at a time (an asyncio lock), so a
name or a subnet is checked and taken in one step."""

from __future__ import annotations

import asyncio
import builtins
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wharf.core.errors import Forbidden, InvalidParameter, NotFound, WharfError
from wharf.core.metadata import NetworkRecord, NetworkRecords
from wharf.core.netspec import BridgeSpec
from wharf.network.ipam import IPNetwork
from wharf.network.ipam_alloc import NetworkAddresses
from wharf.services.engine_types import EndpointSettings, NetworkCreateRequest
from wharf.services.events import EventBus
from wharf.services.networks_config import (
    PREDEFINED,
    NetworkDefaults,
    default_bridge_record,
    plain_record,
)
from wharf.services.networks_create import CreateContext, build_network, record_entries
from wharf.services.networks_endpoints import (
    EndpointRecord,
    JoinRequest,
    new_endpoint,
    restored_endpoint,
)
from wharf.services.networks_host import host_reserved, interface_exists
from wharf.services.networks_options import record_bridge_options
from wharf.services.networks_views import network_json, prune_candidates, select_networks
from wharf.services.protocols import NetworkDriverPort

log = logging.getLogger(__name__)

__all__ = ["EndpointRecord", "NetworkDeps", "NetworkService"]


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


class NetworkService:
    def __init__(self, deps: NetworkDeps) -> None:
        self._deps = deps
        self._records = deps.records
        self._lock = asyncio.Lock()
        self._addresses: dict[str, NetworkAddresses] = {}
        self._endpoints: dict[str, dict[str, EndpointRecord]] = {}
        self._removing: set[str] = set()

    # ---- daemon start ------------------------------------------------------------------

    async def start(self, live_containers: set[str]) -> None:
        """Make the predefined networks (ids kept), sweep what a previous daemon left for
        containers not running, and (re)make every bridge."""
        self._ensure_predefined()
        bridges = [r for r in self._records.list_networks() if r.driver == "bridge"]
        await asyncio.to_thread(self._deps.driver.sweep, live_containers,
                                {r.bridge for r in bridges})
        for record in bridges:
            self._addresses[record.id] = self._new_addresses(record)
            try:
                await asyncio.to_thread(self._deps.driver.ensure_bridge,
                                        self.bridge_spec(record))
            except WharfError as exc:
                if record.name == "bridge":
                    raise
                log.error("network %s: its bridge %s could not be made: %s",
                          record.name, record.bridge, exc)

    def _ensure_predefined(self) -> None:
        by_name = {r.name: r for r in self._records.list_networks()}
        defaults = self._deps.defaults
        if defaults.bridge == "none":
            if "bridge" in by_name:
                self._records.delete_network(by_name["bridge"].id)
        else:
            self._records.put_network(default_bridge_record(defaults, by_name.get("bridge")))
        for name, driver in (("host", "host"), ("none", "null")):
            self._records.put_network(plain_record(name, driver, by_name.get(name)))

    def _new_addresses(self, record: NetworkRecord) -> NetworkAddresses:
        return NetworkAddresses(record.name, record.id, record_entries(record))

    # ---- lookup and views ----------------------------------------------------------------

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

    def inspect(self, ref: str, scope: str = "") -> dict[str, Any]:
        record = self.resolve(ref)
        if scope and scope != record.scope:
            raise NotFound(f"network {ref} not found")
        containers = {cid: ep.resource() for cid, ep in self.endpoints(record.id).items()}
        return network_json(record, containers)

    def list(self, filters: Mapping[str, builtins.list[str]]) -> list[dict[str, Any]]:
        chosen = select_networks(self._records.list_networks(), filters, self._in_use)
        return [network_json(record, {}) for record in chosen]

    def _in_use(self, network_id: str) -> bool:
        return bool(self._endpoints.get(network_id))

    def own_bridges(self) -> set[str]:
        return {r.bridge for r in self._records.list_networks() if r.bridge}

    def bridge_spec(self, network: NetworkRecord | str) -> BridgeSpec:
        record = self.resolve(network) if isinstance(network, str) else network
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

    # ---- create, remove, prune -----------------------------------------------------------

    async def create(self, body: NetworkCreateRequest) -> dict[str, str]:
        async with self._lock:
            context = CreateContext(self._records.list_networks(), self._deps.defaults.pools(),
                                    self._deps.reserved, self._deps.interface_exists)
            record = build_network(body, context)
            addresses = self._new_addresses(record)
            self._records.put_network(record)
            try:
                await asyncio.to_thread(self._deps.driver.ensure_bridge,
                                        self.bridge_spec(record))
            except BaseException:
                await self._undo_create(record)
                raise
            self._addresses[record.id] = addresses
        self._emit("create", record)
        return {"Id": record.id, "Warning": ""}

    async def _undo_create(self, record: NetworkRecord) -> None:
        self._records.delete_network(record.id)
        try:
            await asyncio.to_thread(self._deps.driver.remove_bridge, self.bridge_spec(record))
        except Exception as exc:  # the bridge may never have been made
            log.debug("undoing network %s: %s", record.name, exc)

    async def remove(self, ref: str) -> None:
        async with self._lock:
            record = self.resolve(ref)
            await self._remove(record)

    async def _remove(self, record: NetworkRecord) -> None:
        if record.name in PREDEFINED:
            raise Forbidden(f"{record.name} is a pre-defined network and cannot be removed")
        if self._in_use(record.id):
            raise Forbidden(f"error while removing network: network {record.name} id "
                            f"{record.id} has active endpoints")
        self._removing.add(record.id)
        try:
            if record.driver == "bridge":
                await asyncio.to_thread(self._deps.driver.remove_bridge,
                                        self.bridge_spec(record))
            self._records.delete_network(record.id)
            self._addresses.pop(record.id, None)
        finally:
            self._removing.discard(record.id)
        self._emit("destroy", record)

    async def prune(self, filters: Mapping[str, builtins.list[str]]) -> dict[str, Any]:
        deleted: builtins.list[str] = []
        async with self._lock:
            for record in prune_candidates(self._records.list_networks(), filters,
                                           self._in_use):
                try:
                    await self._remove(record)
                except WharfError as exc:
                    log.warning("prune: network %s stays: %s", record.name, exc)
                    continue
                deleted.append(record.name)
        self._deps.events.publish("network", "prune", "", {"reclaimed": "0"})
        return {"NetworksDeleted": deleted or None}

    def _emit(self, action: str, record: NetworkRecord, container_id: str = "") -> None:
        attributes = {"name": record.name, "type": record.driver}
        if container_id:
            attributes["container"] = container_id
        self._deps.events.publish("network", action, record.id, attributes)

    # ---- endpoints (the container side) --------------------------------------------------

    def join(self, container_id: str, network: NetworkRecord | str,
             endpoint_config: EndpointSettings | None = None, ifname: str = "eth0"
             ) -> EndpointRecord:
        """Allocate the container's endpoint on the network (addresses, MAC, DNS names)."""
        record = self._live_record(network)
        held = self._endpoints.setdefault(record.id, {})
        if container_id in held:
            shown = held[container_id].container_name or container_id
            raise Forbidden(f"endpoint with name {shown} already exists in network "
                            f"{record.name}")
        name, hostname = self._deps.container_info(container_id)
        request = JoinRequest(container_id, name, hostname,
                              endpoint_config or EndpointSettings(), ifname)
        endpoint = new_endpoint(record, self._addresses.get(record.id), request)
        held[container_id] = endpoint
        self._emit("connect", record, container_id)
        return endpoint

    def _live_record(self, network: NetworkRecord | str) -> NetworkRecord:
        record = self.resolve(network if isinstance(network, str) else network.id)
        if record.id in self._removing:
            raise NotFound(f"network {record.name} not found")
        if record.driver == "bridge" and record.id not in self._addresses:
            self._addresses[record.id] = self._new_addresses(record)
        return record

    def leave(self, container_id: str, network_id: str) -> None:
        """Free the container's endpoint on the network (nothing held: nothing to do)."""
        endpoint = self._endpoints.get(network_id, {}).pop(container_id, None)
        if endpoint is None:
            return
        addresses = self._addresses.get(network_id)
        for address in endpoint.addresses:
            if addresses is not None:
                addresses.release(address)
        record = self._records.get_network(network_id)
        if record is not None:
            self._emit("disconnect", record, container_id)

    def endpoints(self, network_id: str) -> dict[str, EndpointRecord]:
        return dict(self._endpoints.get(network_id, {}))

    def restore_endpoint(self, container_id: str, network_id: str,
                         settings: Mapping[str, Any], ifname: str = "eth0") -> EndpointRecord:
        """Take back a running container's endpoint from its record (daemon start)."""
        record = self._live_record(network_id)
        name, _ = self._deps.container_info(container_id)
        endpoint = restored_endpoint(record, self._addresses.get(record.id), container_id,
                                     name, settings, ifname)
        self._endpoints.setdefault(record.id, {})[container_id] = endpoint
        return endpoint
