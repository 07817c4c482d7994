"""``docker network connect/disconnect`` on the container side (``POST /networks/{id}/connect``
and ``/disconnect`` call these): a running container gets (or loses) an endpoint at once, its
names with the embedded resolver and a line in its /etc/hosts; a stopped one only has its
``EndpointsConfig`` edited, for its next start. dockerd's checks and messages."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from typing import Any

from wharf.core.errors import Forbidden, InvalidParameter, WharfError
from wharf.services import container_network_start as netstart
from wharf.services.container_base import ContainerServiceBase
from wharf.services.container_network import ContainerNetworking
from wharf.services.container_network_names import registration
from wharf.services.container_network_plan import (
    CONTAINER,
    HOST,
    NONE,
    check_endpoint_config,
    kind_of,
    mode_of,
    resolve,
)
from wharf.services.container_network_types import Attachment, NetworkLike
from wharf.services.container_record import ContainerRecord

_HOST_CONFLICT = "container cannot be disconnected from host network or connected to host network"
_SHARED = ("container sharing network namespace with another container or host cannot be "
           "connected to any other network")
_NONE = ("container cannot be connected to multiple networks with one of the networks in "
         "private (none) mode")


class ContainerNetworkOps(ContainerServiceBase):
    def _networking(self) -> ContainerNetworking:
        if self._deps.networking is None:
            raise InvalidParameter("networking is not configured in this daemon")
        return self._deps.networking

    async def connect_network(self, container_ref: str, network_ref: str,
                              endpoint_config: dict[str, Any] | None) -> None:
        networking = self._networking()
        record = self.get(container_ref)
        network = resolve(networking.deps.networks, network_ref)
        config = {k: v for k, v in (endpoint_config or {}).items() if v}
        async with self._lock(record.id):
            _check_connect(record, network, self._endpoints(record))
            check_endpoint_config(network.name, config)
            config = {**config, "NetworkID": network.id}
            if record.state.running:
                await self._connect_running(networking, record, network, config)
            self._endpoints(record)[network.name] = config
            self._note_network_settings(record)
            self._save(record)

    async def _connect_running(self, networking: ContainerNetworking, record: ContainerRecord,
                               network: NetworkLike, config: dict[str, Any]) -> None:
        net = networking.running[record.id]
        used = {a.endpoint.spec.ifname for a in net.attachments}
        ifname = next(f"eth{i}" for i in range(len(used) + 1) if f"eth{i}" not in used)
        endpoint = networking.deps.networks.join(record.id, network, dict(config), ifname)
        spec = dataclasses.replace(endpoint.spec, gateways=())  # the default route stays
        try:
            await asyncio.to_thread(networking.deps.driver.connect, record.id, spec)
        except BaseException:
            networking.deps.networks.leave(record.id, network.id)
            raise
        attachment = Attachment(network, endpoint)
        net.attachments.append(attachment)
        networking.dns.register(record.id, [registration(record, attachment)], {}, False)
        self._rewrite_hosts(networking, record)

    async def disconnect_network(self, container_ref: str, network_ref: str,
                                 force: bool) -> None:
        networking = self._networking()
        record = self.get(container_ref)
        network = resolve(networking.deps.networks, network_ref)
        async with self._lock(record.id):
            kind = kind_of(mode_of(record.host_config))
            if kind == HOST or network.name == HOST:
                raise InvalidParameter(_HOST_CONFLICT)
            endpoints = self._endpoints(record)
            if network.name not in endpoints:
                raise WharfError(f"container {record.id} is not connected to the network "
                                 f"{network.name}")
            if record.state.running:
                await self._disconnect_running(networking, record, network)
            del endpoints[network.name]
            self._note_network_settings(record)
            self._save(record)

    async def _disconnect_running(self, networking: ContainerNetworking,
                                  record: ContainerRecord, network: NetworkLike) -> None:
        net = networking.running.get(record.id)
        attachment = next((a for a in net.attachments if a.network.id == network.id), None) \
            if net else None
        if net is None or attachment is None:
            return
        await asyncio.to_thread(networking.deps.driver.disconnect, record.id,
                                attachment.endpoint.spec)
        net.attachments.remove(attachment)
        networking.dns.unregister(record.id, network.name)
        networking.deps.networks.leave(record.id, network.id)
        self._rewrite_hosts(networking, record)

    def _endpoints(self, record: ContainerRecord) -> dict[str, Any]:
        endpoints: dict[str, Any] = record.networking_config.setdefault("EndpointsConfig", {})
        return endpoints

    def _note_network_settings(self, record: ContainerRecord) -> None:
        if self._deps.networking is not None:
            record.network_settings = self._deps.networking.settings(record)

    def _rewrite_hosts(self, networking: ContainerNetworking, record: ContainerRecord) -> None:
        """The container's /etc/hosts with its addresses now (written in place: the bind
        mount keeps the inode)."""
        net = networking.running.get(record.id)
        if net is None:
            return
        with contextlib.suppress(OSError, WharfError):
            texts = netstart.etc_texts(networking, record, net, self.get, "",
                                       networking.deps.dns_defaults)
            (self._deps.paths.container_dir(record.id) / "hosts").write_text(texts.hosts)


def _check_connect(record: ContainerRecord, network: NetworkLike,
                   endpoints: dict[str, Any]) -> None:
    kind = kind_of(mode_of(record.host_config))
    if kind == HOST or network.name == HOST:
        raise InvalidParameter(_HOST_CONFLICT)
    if kind == CONTAINER:
        raise InvalidParameter(_SHARED)
    if kind == NONE or network.name == NONE:
        raise InvalidParameter(_NONE)
    if network.name in endpoints:
        raise Forbidden(f"endpoint with name {record.name} already exists in network "
                        f"{network.name}")

