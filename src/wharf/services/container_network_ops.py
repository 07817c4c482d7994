"""``docker network connect/disconnect`` on the container side (``POST /networks/{id}/connect``
and ``/disconnect`` call these): a running container gets (or loses) an endpoint at once, its
names with the embedded resolver and a line in its /etc/hosts; a stopped one only has its
``EndpointsConfig`` edited, for its next start. dockerd's checks and messages."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from pathlib import Path
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
from wharf.services.container_network_types import Attachment, EtcTexts, NetworkLike
from wharf.services.container_record import ContainerRecord

log = logging.getLogger(__name__)

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
        had_dns = any(a.dns_enabled for a in net.attachments)
        net.attachments.append(attachment)
        networking.dns.register(record.id, [registration(record, attachment)], {}, False)
        texts = self._rewrite_etc(networking, record, resolv=attachment.dns_enabled and
                                  not had_dns)
        if texts is not None and attachment.dns_enabled and not had_dns:
            await self._start_resolver(networking, record, texts.upstreams)

    async def _start_resolver(self, networking: ContainerNetworking, record: ContainerRecord,
                              upstreams: tuple[str, ...]) -> None:
        """The first user-defined network of a running container: its sandbox gets the
        embedded resolver's sockets (as dockerd starts the resolver on that join)."""
        try:
            sockets = await asyncio.to_thread(networking.deps.driver.bind_dns, record.id)
            await networking.dns.serve(record.id, sockets, upstreams)
        except (WharfError, OSError) as err:
            log.warning("container %s: no embedded DNS after connect: %s", record.id, err)

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
        self._rewrite_etc(networking, record, resolv=False)

    def _endpoints(self, record: ContainerRecord) -> dict[str, Any]:
        endpoints: dict[str, Any] = record.networking_config.setdefault("EndpointsConfig", {})
        return endpoints

    def _note_network_settings(self, record: ContainerRecord) -> None:
        if self._deps.networking is not None:
            self._deps.networking.note(record)

    def _rewrite_etc(self, networking: ContainerNetworking, record: ContainerRecord, *,
                     resolv: bool) -> EtcTexts | None:
        """The container's /etc/hosts (and resolv.conf when it now has the embedded resolver)
        for its networks now, written in place: the bind mounts keep the inodes."""
        net = networking.running.get(record.id)
        if net is None:
            return None
        container_dir = self._deps.paths.container_dir(record.id)
        try:
            texts = netstart.etc_texts(networking, record, net, self.get,
                                       _read(self._deps.host_resolv_conf),
                                       networking.deps.dns_defaults)
            (container_dir / "hosts").write_text(texts.hosts)
            if resolv:
                (container_dir / "resolv.conf").write_text(texts.resolv)
        except (OSError, WharfError) as err:
            log.warning("container %s: /etc files not updated: %s", record.id, err)
            return None
        return texts


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


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

