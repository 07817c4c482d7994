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
from collections.abc import Mapping
from typing import Any

from wharf.core.errors import Forbidden, NotFound, WharfError
from wharf.core.metadata import NetworkRecord
from wharf.services.engine_types import NetworkCreateRequest
from wharf.services.networks_attach import NetworkAttachments
from wharf.services.networks_base import NetworkDeps
from wharf.services.networks_config import PREDEFINED, default_bridge_record, plain_record
from wharf.services.networks_create import CreateContext, build_network
from wharf.services.networks_endpoints import EndpointRecord
from wharf.services.networks_views import network_json, prune_candidates, select_networks

log = logging.getLogger(__name__)

__all__ = ["EndpointRecord", "NetworkDeps", "NetworkService"]


class NetworkService(NetworkAttachments):
    """Every network the daemon knows, and what can be done to them; endpoints are
    ``NetworkAttachments``'."""

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

    # ---- lookup and views ----------------------------------------------------------------

    def inspect(self, ref: str, scope: str = "") -> dict[str, Any]:
        record = self.resolve(ref)
        if scope and scope != record.scope:
            raise NotFound(f"network {ref} not found")
        containers = {cid: ep.resource() for cid, ep in self.endpoints(record.id).items()}
        return network_json(record, containers)

    def list(self, filters: Mapping[str, builtins.list[str]]) -> list[dict[str, Any]]:
        chosen = select_networks(self._records.list_networks(), filters, self._in_use)
        return [network_json(record, {}) for record in chosen]

    def own_bridges(self) -> set[str]:
        return {r.bridge for r in self._records.list_networks() if r.bridge}

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


