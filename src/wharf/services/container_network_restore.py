"""At the daemon's start: the running containers' networking as it was (endpoints back in the
networks' books, host ports held again, names back with the embedded resolver), then the host
made to agree: the driver's sweep removes what no live container owns (netns mounts, rules of
gone bridges; after a ``kill -9`` of wharfd too), the bridges' rules are put back and the
running containers' ports published again (the userland proxy died with the old daemon)."""

from __future__ import annotations

import asyncio
import logging

from wharf.core.errors import WharfError
from wharf.core.netspec import Sandbox
from wharf.services import container_network_ports as ports
from wharf.services.container_network import ContainerNetworking
from wharf.services.container_network_plan import BRIDGE, HOST, kind_of, mode_of, resolve
from wharf.services.container_network_types import Attachment, ContainerNet
from wharf.services.container_record import ContainerRecord

log = logging.getLogger(__name__)


def restore(networking: ContainerNetworking, record: ContainerRecord) -> None:
    """A running container's networking from its record (``NetworkSettings``)."""
    settings = record.network_settings or {}
    kind = kind_of(mode_of(record.host_config))
    if record.config.get("NetworkDisabled") or kind != BRIDGE:
        key = str(settings.get("SandboxKey") or "")
        sandbox = Sandbox(record.id, key) if key else None
        networking.running[record.id] = ContainerNet(kind if kind != BRIDGE else "none",
                                                     sandbox, netns_path=key or None)
        return
    attachments = []
    for index, (name, endpoint) in enumerate((settings.get("Networks") or {}).items()):
        try:
            network = resolve(networking.deps.networks, str(endpoint.get("NetworkID") or name))
            restored = networking.deps.networks.restore_endpoint(record.id, network,
                                                                 dict(endpoint), f"eth{index}")
        except WharfError as err:
            log.warning("container %s: network %s not restored: %s", record.id, name, err)
            continue
        attachments.append(Attachment(network, restored))
    primary = attachments[0].endpoint if attachments else None
    mappings = ports.mappings_from_view(
        settings.get("Ports") or {}, str(primary.settings.get("IPAddress") or "") if primary
        else "", str(primary.settings.get("GlobalIPv6Address") or "") if primary else "",
        primary.spec.bridge if primary else "") if primary else []
    ports.hold_again(networking.ports, mappings)
    key = str(settings.get("SandboxKey") or "") or networking.deps.driver.sandbox_path(record.id)
    net = ContainerNet(BRIDGE, Sandbox(record.id, key), attachments, mappings, key)
    networking.running[record.id] = net
    networking.dns.register(record.id, networking.registrations(record, net), {}, False)


async def reconcile(networking: ContainerNetworking) -> None:
    """Sweep what no live container owns, put the bridges' rules back, publish again."""
    live = {cid for cid, net in networking.running.items() if net.sandbox is not None}
    await asyncio.to_thread(_reconcile_host, networking, live)


def _reconcile_host(networking: ContainerNetworking, live: set[str]) -> None:
    driver = networking.deps.driver
    bridges = networking.deps.bridges()
    try:
        for swept in driver.sweep(live, {b.ifname for b in bridges}):
            log.warning("removed a network leftover: %s", swept)
    except Exception as err:
        log.warning("sweeping network leftovers: %s", err)
    for bridge in bridges:
        try:
            driver.ensure_bridge(bridge)
        except Exception as err:
            log.warning("bridge %s: %s", bridge.ifname, err)
    for container_id, net in networking.running.items():
        if net.mappings and net.mode != HOST:
            try:
                driver.publish(net.mappings)
            except Exception as err:
                log.warning("container %s: ports not published again: %s", container_id, err)
