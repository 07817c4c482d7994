"""Containers' endpoints on networks, for the container side (docs/contracts.md,
"Networking"): join allocates, leave frees, restore takes back a running container's at
daemon start. Called on the daemon's event loop (they publish events), never from a worker
thread; none of them blocks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from wharf.core.errors import Forbidden, InvalidParameter, NotFound
from wharf.core.metadata import NetworkRecord
from wharf.services.engine_types import EndpointSettings
from wharf.services.networks_base import NetworkBase, NetworkRef, network_id_of
from wharf.services.networks_endpoints import (
    EndpointRecord,
    JoinRequest,
    new_endpoint,
    restored_endpoint,
)

__all__ = ["NetworkAttachments"]


def _settings(config: EndpointSettings | Mapping[str, Any] | None) -> EndpointSettings:
    if config is None:
        return EndpointSettings()
    if isinstance(config, EndpointSettings):
        return config
    try:
        return msgspec.convert(dict(config), EndpointSettings)
    except msgspec.ValidationError as exc:
        raise InvalidParameter(f"invalid endpoint settings: {exc}") from None


class NetworkAttachments(NetworkBase):
    def join(self, container_id: str, network: NetworkRef,
             endpoint_config: EndpointSettings | Mapping[str, Any] | None = None,
             ifname: str = "eth0") -> EndpointRecord:
        """Allocate the container's endpoint on the network (addresses, MAC, DNS names);
        ``endpoint_config`` is Docker's EndpointSettings, typed or as its JSON object."""
        record = self._live_record(network)
        held = self._endpoints.setdefault(record.id, {})
        if container_id in held:
            shown = held[container_id].container_name or container_id
            raise Forbidden(f"endpoint with name {shown} already exists in network "
                            f"{record.name}")
        name, hostname = self._deps.container_info(container_id)
        request = JoinRequest(container_id, name, hostname, _settings(endpoint_config), ifname)
        endpoint = new_endpoint(record, self._addresses.get(record.id), request)
        held[container_id] = endpoint
        self._emit("connect", record, container_id)
        return endpoint

    def _live_record(self, network: NetworkRef) -> NetworkRecord:
        record = self.resolve(network_id_of(network))
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

    def restore_endpoint(self, container_id: str, network: NetworkRef,
                         settings: Mapping[str, Any], ifname: str = "eth0") -> EndpointRecord:
        """Take back a running container's endpoint from its record (daemon start)."""
        record = self._live_record(network)
        name, _ = self._deps.container_info(container_id)
        endpoint = restored_endpoint(record, self._addresses.get(record.id), container_id,
                                     name, settings, ifname)
        self._endpoints.setdefault(record.id, {})[container_id] = endpoint
        return endpoint
