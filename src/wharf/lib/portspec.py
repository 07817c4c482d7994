"""``-p``/``--publish`` and ``--expose`` as the docker CLI parses them (go-connections' nat).

``-p [ip:][hostPort:]containerPort[/proto]``: ports or ranges (``8000-8010``), an IPv6 host
address in brackets (``[::1]:80:80``), proto ``tcp`` (default), ``udp`` or ``sctp``. The result
is Docker's API shapes: ``ExposedPorts`` ``{"80/tcp": {}}`` and ``PortBindings``
``{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}``. A single container port with a host range
keeps the range as its ``HostPort`` (``"8000-8010"``): the daemon picks a free port in it.
Errors raise :class:`PortSpecError` with the CLI's words.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "PortBinding",
    "PortMapping",
    "PortSpecError",
    "parse_expose",
    "parse_port_range",
    "parse_publish",
    "port_bindings",
    "publish_all",
    "split_proto_port",
]

VALID_PROTOS = ("tcp", "udp", "sctp")


class PortSpecError(ValueError):
    """A malformed port specification; ``str()`` is the docker CLI's message."""


@dataclass(frozen=True)
class PortBinding:
    host_ip: str
    host_port: str

    def to_api(self) -> dict[str, str]:
        return {"HostIp": self.host_ip, "HostPort": self.host_port}


@dataclass(frozen=True)
class PortMapping:
    """One container port (``"80/tcp"``) and how the host publishes it."""

    port: str
    binding: PortBinding


def split_proto_port(raw: str) -> tuple[str, str]:
    """``"80/udp"`` → ``("udp", "80")``; no proto means tcp; an empty port gives ``("", "")``."""
    parts = raw.split("/")
    if not raw or not parts[0]:
        return "", ""
    if len(parts) == 1:
        return "tcp", raw
    if not parts[1]:
        return "tcp", parts[0]
    return parts[1], parts[0]


def parse_port_range(ports: str) -> tuple[int, int]:
    """``"80"`` → (80, 80); ``"80-90"`` → (80, 90); ValueError when malformed."""
    if not ports:
        raise ValueError("empty string specified for ports")
    if "-" not in ports:
        port = _parse_port(ports)
        return port, port
    start_text, _, end_text = ports.partition("-")
    start, end = _parse_port(start_text), _parse_port(end_text)
    if end < start:
        raise ValueError(f"invalid range specified for port: {ports}")
    return start, end


def _parse_port(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"invalid port: {text!r}")
    value = int(text)
    if value > 65535:
        raise ValueError(f"port out of range: {text}")
    return value


def _split_parts(raw: str) -> tuple[str, str, str]:
    parts = raw.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def _parse_host_ip(ip: str) -> str:
    if ip.startswith("["):
        if not ip.endswith("]"):
            raise PortSpecError(f"invalid IP address {ip}: missing ']' in address")
        ip = ip[1:-1]
    if ip:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise PortSpecError(f"invalid IP address: {ip}") from None
    return ip


def parse_publish(raw: str) -> list[PortMapping]:
    """One ``-p`` value into its mappings (one per container port of a range)."""
    ip_text, host_port, container_text = _split_parts(raw)
    proto, container_port = split_proto_port(container_text)
    ip = _parse_host_ip(ip_text)
    if not container_port:
        raise PortSpecError(f"No port specified: {raw}<empty>")
    try:
        start, end = parse_port_range(container_port)
    except ValueError:
        raise PortSpecError(f"Invalid containerPort: {container_port}") from None
    host_start = host_end = 0
    if host_port:
        try:
            host_start, host_end = parse_port_range(host_port)
        except ValueError:
            raise PortSpecError(f"Invalid hostPort: {host_port}") from None
        if end - start != host_end - host_start and end != start:
            raise PortSpecError(
                "Invalid ranges specified for container and host Ports: "
                f"{container_port} and {host_port}"
            )
    proto = proto.lower()
    if proto not in VALID_PROTOS:
        raise PortSpecError(f"Invalid proto: {proto}")
    return [
        PortMapping(
            f"{start + i}/{proto}",
            PortBinding(ip, _host_port_at(i, host_port, (host_start, host_end), start == end)),
        )
        for i in range(end - start + 1)
    ]


def _host_port_at(index: int, host_port: str, host_range: tuple[int, int], single: bool) -> str:
    if not host_port:
        return ""
    first, last = host_range
    if single and first != last:
        return f"{first}-{last}"
    return str(first + index)


def parse_expose(raw: str) -> list[str]:
    """One ``--expose`` value (``80``, ``80/udp``, ``8000-8010``) into ``"80/tcp"`` keys."""
    proto, port = split_proto_port(raw)
    try:
        start, end = parse_port_range(port)
    except ValueError as exc:
        raise PortSpecError(f"invalid range format for --expose: {raw}, error: {exc}") from None
    proto = proto.lower()
    if proto not in VALID_PROTOS:
        raise PortSpecError(f"Invalid proto: {proto}")
    return [f"{p}/{proto}" for p in range(start, end + 1)]


def port_bindings(
    publish: Iterable[str], expose: Iterable[str] = ()
) -> tuple[dict[str, dict[str, object]], dict[str, list[dict[str, str]]]]:
    """``-p`` and ``--expose`` values into (``ExposedPorts``, ``PortBindings``) as the API has them.

    Every published port is exposed too; the same container port published twice keeps both
    bindings, in order.
    """
    exposed: dict[str, dict[str, object]] = {}
    bindings: dict[str, list[dict[str, str]]] = {}
    for raw in publish:
        for mapping in parse_publish(raw):
            exposed.setdefault(mapping.port, {})
            bindings.setdefault(mapping.port, []).append(mapping.binding.to_api())
    for raw in expose:
        for port in parse_expose(raw):
            exposed.setdefault(port, {})
    return exposed, bindings


def publish_all(
    exposed: dict[str, dict[str, object]], bindings: dict[str, list[dict[str, str]]]
) -> dict[str, list[dict[str, str]]]:
    """``-P``: every exposed port without a binding gets one to an ephemeral host port."""
    every = {port: list(found) for port, found in bindings.items()}
    for port in exposed:
        every.setdefault(port, [{"HostIp": "", "HostPort": ""}])
    return every
