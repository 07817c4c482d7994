"""At the daemon's start, after the network service's (``NetworkService.start``: the driver's
sweep of what no running container owns, after a ``kill -9`` of wharfd too, and the bridges
made again): the running containers' networking as it was (endpoints back in the networks'
books, host ports held again, names back with the embedded resolver), their ports published
again (the sweep removed their rules; the userland proxy died with the old daemon) and their
DNS served again. A container found dead meanwhile is torn down as at any exit."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from wharf.core.errors import WharfError
from wharf.core.netspec import Sandbox
from wharf.services import container_network_ports as ports
from wharf.services import container_network_start as netstart
from wharf.services.container_network import ContainerNetworking, Lookup
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
        ifname = record.network_ifnames.get(name, f"eth{index}")
        try:
            network = resolve(networking.deps.networks, str(endpoint.get("NetworkID") or name))
            restored = networking.deps.networks.restore_endpoint(record.id, network,
                                                                 dict(endpoint), ifname)
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


async def reconcile(networking: ContainerNetworking, lookup: Lookup, host_resolv: Path) -> None:
    """After the network service's start (its sweep and bridges): publish the running
    containers' ports again and serve their DNS sockets again (bound anew in their sandboxes:
    the old ones closed with the old daemon)."""
    await asyncio.to_thread(_publish_again, networking)
    for container_id, net in list(networking.running.items()):
        if not any(a.dns_enabled for a in net.attachments):
            continue
        try:
            record = lookup(container_id)
            texts = netstart.etc_texts(networking, record, net, lookup, _read(host_resolv),
                                       networking.deps.dns_defaults)
            networking.dns.register(container_id, [], networking.links_of(record, lookup),
                                    texts.user_ndots)
            sockets = await asyncio.to_thread(networking.deps.driver.bind_dns, container_id)
            await networking.dns.serve(container_id, sockets, texts.upstreams)
        except (WharfError, OSError) as err:
            log.warning("container %s: DNS not served again: %s", container_id, err)


def _publish_again(networking: ContainerNetworking) -> None:
    for container_id, net in networking.running.items():
        if net.mappings and net.mode != HOST:
            try:
                networking.deps.driver.publish(net.mappings)
            except Exception as err:
                log.warning("container %s: ports not published again: %s", container_id, err)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
