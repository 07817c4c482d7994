"""A container's names on its networks: what the embedded resolver answers for it (name,
aliases, short id, hostname), Docker's ``DNSNames``, and its legacy links."""

from __future__ import annotations

from typing import Any

from wharf.services.container_network_types import Attachment, DnsRegistration
from wharf.services.container_record import ContainerRecord


def registration(record: ContainerRecord, attachment: Attachment) -> DnsRegistration:
    settings = attachment.endpoint.settings
    aliases = [*(settings.get("Aliases") or []), *endpoint_aliases(record, attachment)]
    hostname = str(record.config.get("Hostname") or "")
    return DnsRegistration(
        attachment.network.name, attachment.network.internal, attachment.dns_enabled,
        record.name, tuple(dict.fromkeys([*aliases, hostname] if hostname else aliases)),
        str(settings.get("IPAddress") or ""), str(settings.get("GlobalIPv6Address") or ""))


def endpoint_aliases(record: ContainerRecord, attachment: Attachment) -> list[str]:
    config = (record.networking_config.get("EndpointsConfig") or {}).get(
        attachment.network.name) or {}
    return [str(alias) for alias in config.get("Aliases") or []]


def endpoint_settings(record: ContainerRecord, attachment: Attachment) -> dict[str, Any]:
    """What the network gave, with Docker's ``DNSNames`` on user-defined networks."""
    settings = dict(attachment.endpoint.settings)
    if attachment.dns_enabled:
        names = [record.name, *endpoint_aliases(record, attachment), record.id[:12],
                 str(record.config.get("Hostname") or "")]
        settings["DNSNames"] = list(dict.fromkeys(n for n in names if n))
    return settings


def parse_links(record: ContainerRecord, endpoints: bool = False) -> list[tuple[str, str]]:
    """``HostConfig.Links`` (``name:alias``, ``/name:/self/alias``) as (name, alias); with
    ``endpoints``, the ``EndpointsConfig`` entries' links too (Compose sends them there)."""
    values = list(record.host_config.get("Links") or [])
    if endpoints:
        for config in (record.networking_config.get("EndpointsConfig") or {}).values():
            values += list((config or {}).get("Links") or [])
    links = []
    for link in dict.fromkeys(str(value) for value in values):
        name, _, alias = link.partition(":")
        links.append((name.lstrip("/"), alias.rsplit("/", 1)[-1] or name.lstrip("/")))
    return links
