"""Published ports: a container's ``PortBindings`` (``-p``) and, with ``PublishAllPorts``
(``-P``), its other ``ExposedPorts`` turned into host ports (``network.portalloc``) and
``PortMapping``s for the driver; and ``NetworkSettings.Ports`` as Docker shows it."""

from __future__ import annotations

import ipaddress
from typing import Any

from wharf.core.errors import InvalidParameter, WharfError
from wharf.core.netspec import PortMapping
from wharf.services.container_network_types import PortsPort

PROTOS = ("tcp", "udp", "sctp")


def split_port_key(key: str) -> tuple[int, str]:
    """``"80/tcp"`` (or ``"80"``) → (80, "tcp"), with dockerd's messages for bad keys."""
    text, _, proto = key.partition("/")
    proto = (proto or "tcp").lower()
    if proto not in PROTOS:
        raise InvalidParameter(f"invalid proto: {proto}")
    if not text.isdigit() or not 0 < int(text) <= 65535:
        raise InvalidParameter(f"invalid port specification: \"{text}\"")
    return int(text), proto


def wanted_bindings(config: dict[str, Any],
                    host_config: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """The bindings to publish: ``PortBindings``, plus an ephemeral host port for each other
    exposed port when ``PublishAllPorts`` (Docker's ``-P``)."""
    wanted = {key: [dict(b or {}) for b in (value or [{}])]
              for key, value in (host_config.get("PortBindings") or {}).items()}
    if host_config.get("PublishAllPorts"):
        for key in config.get("ExposedPorts") or {}:
            wanted.setdefault(key, [{"HostIp": "", "HostPort": ""}])
    return wanted


def check_bindings(bindings: dict[str, Any]) -> None:
    """What dockerd refuses at create: bad keys, host IPs, host ports."""
    for key, entries in (bindings or {}).items():
        split_port_key(key)
        for entry in entries or []:
            host_ip = str((entry or {}).get("HostIp") or "")
            if host_ip:
                try:
                    ipaddress.ip_address(host_ip.strip("[]"))
                except ValueError:
                    raise InvalidParameter(f"invalid IP address: {host_ip}") from None
            host_port = str((entry or {}).get("HostPort") or "")
            parts = host_port.split("-") if host_port else []
            if len(parts) > 2 or not all(p.isdigit() and int(p) <= 65535 for p in parts):
                raise InvalidParameter(f"invalid port specification: \"{host_port}\"")


def allocate(allocator: PortsPort, wanted: dict[str, list[dict[str, str]]],
             container_ipv4: str, container_ipv6: str, bridge: str) -> list[PortMapping]:
    """Host ports for every binding (the same port on ``0.0.0.0`` and ``::`` when no host IP
    is named, as Docker); all or none are held: a failure releases what was taken."""
    mappings: list[PortMapping] = []
    try:
        for key, entries in wanted.items():
            port, proto = split_port_key(key)
            for entry in entries:
                host_ip = str(entry.get("HostIp") or "").strip("[]")
                held = allocator.request_binding(host_ip, proto,
                                                 str(entry.get("HostPort") or ""), dual=True)
                for ip, host_port in held:
                    target = container_ipv6 if ":" in ip and container_ipv6 else container_ipv4
                    mappings.append(PortMapping(proto, ip, host_port, target, port, bridge))
    except WharfError:
        release(allocator, mappings)
        raise
    return mappings


def release(allocator: PortsPort, mappings: list[PortMapping]) -> None:
    for mapping in mappings:
        allocator.release(mapping.host_ip, mapping.proto, mapping.host_port)


def hold_again(allocator: PortsPort, mappings: list[PortMapping]) -> None:
    """After a daemon restart: the ports a running container still has."""
    for mapping in mappings:
        if not allocator.is_held(mapping.host_ip, mapping.proto, mapping.host_port):
            allocator.request(mapping.host_ip, mapping.proto, mapping.host_port)


def ports_view(config: dict[str, Any], host_config: dict[str, Any],
               mappings: list[PortMapping]) -> dict[str, list[dict[str, str]] | None]:
    """``NetworkSettings.Ports``: every exposed or published port; null when not published."""
    view: dict[str, list[dict[str, str]] | None] = {}
    for key in [*(config.get("ExposedPorts") or {}), *(host_config.get("PortBindings") or {})]:
        port, proto = split_port_key(key)
        view.setdefault(f"{port}/{proto}", None)
    for mapping in mappings:
        key = f"{mapping.container_port}/{mapping.proto}"
        entries = view.get(key) or []
        entries.append({"HostIp": mapping.host_ip, "HostPort": str(mapping.host_port)})
        view[key] = entries
    return view


def mappings_from_view(view: dict[str, Any], container_ipv4: str, container_ipv6: str,
                       bridge: str) -> list[PortMapping]:
    """The mappings a recorded ``NetworkSettings.Ports`` stands for (daemon restart)."""
    mappings = []
    for key, entries in (view or {}).items():
        port, proto = split_port_key(key)
        for entry in entries or []:
            ip = str(entry.get("HostIp") or "0.0.0.0")
            target = container_ipv6 if ":" in ip and container_ipv6 else container_ipv4
            mappings.append(PortMapping(proto, ip, int(entry["HostPort"]), target, port, bridge))
    return mappings


def summary_ports(view: dict[str, Any]) -> list[dict[str, Any]]:
    """``GET /containers/json``'s ``Ports``: one entry per binding, unpublished ones bare."""
    ports: list[dict[str, Any]] = []
    for key, entries in (view or {}).items():
        port, proto = split_port_key(key)
        if not entries:
            ports.append({"PrivatePort": port, "Type": proto})
            continue
        for entry in entries:
            ports.append({"IP": entry.get("HostIp", ""), "PrivatePort": port,
                          "PublicPort": int(entry.get("HostPort") or 0), "Type": proto})
    return ports
