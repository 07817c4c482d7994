"""A container's networking over its life: at start, join its networks, make its sandbox and
publish its ports (the blocking driver calls in one worker-thread hop), register its names with
the embedded resolver and serve its DNS sockets; at exit, undo it all in the background (the
kernel deletes the veths with the netns; the next start of the same container waits for it).
docs/contracts.md, "Networking"."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from wharf.core.errors import Conflict, WharfError
from wharf.core.netspec import EndpointSpec, PortMapping, Sandbox
from wharf.services import container_network_ports as ports
from wharf.services import container_network_settings as views
from wharf.services.container_network_names import (
    endpoint_settings,
    parse_links,
    registration,
)
from wharf.services.container_network_plan import (
    BRIDGE,
    CONTAINER,
    HOST,
    NONE,
    kind_of,
    mode_of,
    resolve,
)
from wharf.services.container_network_types import (
    Attachment,
    ContainerNet,
    DnsRegistration,
    NetworkingDeps,
)
from wharf.services.container_record import ContainerRecord

log = logging.getLogger(__name__)

Lookup = Callable[[str], ContainerRecord]


class ContainerNetworking:
    def __init__(self, deps: NetworkingDeps) -> None:
        self.deps = deps
        self.dns = deps.dns
        self.ports = deps.ports
        self.running: dict[str, ContainerNet] = {}
        self._teardowns: dict[str, asyncio.Task[None]] = {}

    # ---- start ----------------------------------------------------------------------------
    async def setup(self, record: ContainerRecord, lookup: Lookup) -> ContainerNet:
        """The container's network, ready for its process (undone on failure)."""
        await self.wait_teardown(record.id)
        kind = kind_of(mode_of(record.host_config))
        if record.config.get("NetworkDisabled"):
            kind = NONE
        if kind == HOST:
            net = ContainerNet(HOST)
        elif kind == CONTAINER:
            net = ContainerNet(CONTAINER, netns_path=self._peer_netns(record, lookup))
        else:
            net = await self._setup_sandboxed(record, kind)
        self.running[record.id] = net
        return net

    def _peer_netns(self, record: ContainerRecord, lookup: Lookup) -> str:
        peer = lookup(mode_of(record.host_config).partition(":")[2])
        if peer.id == record.id:
            raise Conflict("cannot join own network namespace")  # dockerd: a 400 too
        if not peer.state.running:
            raise Conflict(f"cannot join network namespace of a non running container: "
                           f"container {peer.id} is exited")
        peer_net = self.running.get(peer.id)
        if peer_net is not None and peer_net.netns_path:
            return peer_net.netns_path
        return f"/proc/{peer.state.pid}/ns/net"  # (its namespace: the host's in host mode)

    async def _setup_sandboxed(self, record: ContainerRecord, kind: str) -> ContainerNet:
        attachments = self._join_all(record) if kind == BRIDGE else []
        mappings: list[PortMapping] = []
        try:
            if attachments:
                mappings = self._allocate_ports(record, attachments[0])
            specs = [a.endpoint.spec if i == 0 else dataclasses.replace(a.endpoint.spec,
                                                                         gateways=())
                     for i, a in enumerate(attachments)]
            dns = any(a.dns_enabled for a in attachments)
            sandbox = await asyncio.to_thread(self._make_sandbox, record, specs, dns, mappings)
        except BaseException:
            ports.release(self.ports, mappings)
            self._leave_all(record.id, attachments)
            raise
        return ContainerNet(kind, sandbox, attachments, mappings, sandbox.netns_path)

    def _join_all(self, record: ContainerRecord) -> list[Attachment]:
        joined: list[Attachment] = []
        try:
            for index, (name, config) in enumerate(self.endpoints_config(record).items()):
                network = resolve(self.deps.networks, str(config.get("NetworkID") or name))
                endpoint = self.deps.networks.join(record.id, network, dict(config),
                                                   f"eth{index}")
                joined.append(Attachment(network, endpoint))
        except BaseException:
            self._leave_all(record.id, joined)
            raise
        return joined

    def _allocate_ports(self, record: ContainerRecord,
                        primary: Attachment) -> list[PortMapping]:
        wanted = ports.wanted_bindings(record.config, record.host_config)
        if not wanted:
            return []
        settings = primary.endpoint.settings
        return ports.allocate(self.ports, wanted, str(settings.get("IPAddress") or ""),
                              str(settings.get("GlobalIPv6Address") or ""),
                              primary.endpoint.spec.bridge)

    def _make_sandbox(self, record: ContainerRecord, specs: list[EndpointSpec], dns: bool,
                      mappings: list[PortMapping]) -> Sandbox:
        """Worker thread: the netns with its endpoints, then the ports (all or nothing)."""
        driver = self.deps.driver
        sandbox = driver.create_sandbox(record.id, specs, dns)
        if not mappings:
            return sandbox
        try:
            driver.publish(mappings)
        except BaseException as err:
            for sock in sandbox.dns_sockets:
                sock.close()
            with contextlib.suppress(Exception):
                driver.remove_sandbox(record.id)
            if isinstance(err, WharfError):
                raise type(err)(f"driver failed programming external connectivity on "
                                f"endpoint {record.name} ({record.id[:12]}): {err.message}"
                                ) from None
            raise
        return sandbox

    def _leave_all(self, container_id: str, attachments: list[Attachment]) -> None:
        for attachment in attachments:
            try:
                self.deps.networks.leave(container_id, attachment.network.id)
            except Exception as err:
                log.warning("leaving network %s: %s", attachment.network.name, err)

    def endpoints_config(self, record: ContainerRecord) -> dict[str, dict[str, Any]]:
        return dict(record.networking_config.get("EndpointsConfig") or {})

    # ---- DNS ------------------------------------------------------------------------------
    async def start_dns(self, record: ContainerRecord, net: ContainerNet,
                        upstreams: tuple[str, ...], user_ndots: bool,
                        lookup: Lookup) -> None:
        self.dns.register(record.id, self.registrations(record, net),
                          self.links_of(record, lookup), user_ndots)
        if net.sandbox is not None:
            await self.dns.serve(record.id, net.sandbox.dns_sockets, upstreams)

    def registrations(self, record: ContainerRecord,
                      net: ContainerNet) -> list[DnsRegistration]:
        return [registration(record, a) for a in net.attachments]

    def links_of(self, record: ContainerRecord, lookup: Lookup) -> dict[str, str]:
        """Legacy links as alias → container id (the ones that exist)."""
        links = {}
        for name, alias in parse_links(record, endpoints=True):
            with contextlib.suppress(WharfError):
                links[alias] = lookup(name).id
        return links

    # ---- inspect --------------------------------------------------------------------------
    def note(self, record: ContainerRecord) -> None:
        """The record's NetworkSettings as of now, and the interface of each network (for
        the endpoints' rebuild at a daemon start)."""
        record.network_settings = self.settings(record)
        net = self.running.get(record.id)
        record.network_ifnames = {a.network.name: a.endpoint.spec.ifname
                                  for a in net.attachments} if net else {}

    def settings(self, record: ContainerRecord) -> dict[str, Any]:
        net = self.running.get(record.id)
        if net is None or not record.state.running:
            return views.stopped_settings(self.endpoints_config(record))
        config = self.endpoints_config(record)
        networks = {a.network.name: views.endpoint_view(
            config.get(a.network.name) or {}, endpoint_settings(record, a))
            for a in net.attachments}
        if net.mode in (HOST, NONE):
            networks = {net.mode: views.endpoint_view(config.get(net.mode) or {})}
        view = ports.ports_view(record.config, record.host_config, net.mappings)
        return views.running_settings(networks, view if net.mode == BRIDGE else {},
                                      record.id, net.netns_path or "")

    # ---- exit -----------------------------------------------------------------------------
    def schedule_teardown(self, container_id: str) -> None:
        """Undo the container's networking in the background (off the exit's path)."""
        net = self.running.pop(container_id, None)
        if net is None:
            return
        task = asyncio.get_running_loop().create_task(self._teardown(container_id, net))
        self._teardowns[container_id] = task
        task.add_done_callback(lambda _: self._teardowns.pop(container_id, None)
                               if self._teardowns.get(container_id) is task else None)

    async def wait_teardown(self, container_id: str) -> None:
        task = self._teardowns.get(container_id)
        if task is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(task)

    async def drain(self) -> None:
        await asyncio.gather(*self._teardowns.values(), return_exceptions=True)

    async def _teardown(self, container_id: str, net: ContainerNet) -> None:
        await self.dns.stop(container_id)
        self.dns.forget(container_id)
        try:
            await asyncio.to_thread(self._remove_sandbox, container_id, net)
        except Exception as err:
            log.warning("removing the network of container %s: %s", container_id, err)
        ports.release(self.ports, net.mappings)
        self._leave_all(container_id, net.attachments)

    def _remove_sandbox(self, container_id: str, net: ContainerNet) -> None:
        driver = self.deps.driver
        if net.mappings:
            driver.unpublish(net.mappings)
        if net.sandbox is not None:
            for sock in net.sandbox.dns_sockets:
                sock.close()
            driver.remove_sandbox(container_id)
