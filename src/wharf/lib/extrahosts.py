"""``--add-host`` values (``HostConfig.ExtraHosts``), read as Docker's ``opts.ValidateExtraHost``
reads them: ``name:ip`` or ``name=ip``, an IPv6 address maybe in brackets, or the special
``host-gateway``. One parser for the CLI, the build query and the container's /etc/hosts."""

from __future__ import annotations

import ipaddress
import json

HOST_GATEWAY = "host-gateway"


class ExtraHostError(ValueError):
    """An ``--add-host`` value Docker refuses (the message is Docker's)."""


def parse_extra_host(value: str) -> tuple[str, str]:
    """(name, address); the address is ``host-gateway`` or a valid IP (brackets removed)."""
    name, eq, address = value.partition("=")
    if not eq:
        name, _, address = value.partition(":")
    if not (eq or ":" in value) or not name or ":" in name:
        raise ExtraHostError(f"bad format for add-host: {json.dumps(value)}")
    if address == HOST_GATEWAY:
        return name, address
    if len(address) > 2 and address[0] == "[" and address[-1] == "]":
        address = address[1:-1]
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        raise ExtraHostError(f"invalid IP address in add-host: {json.dumps(address)}") from None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # netip's Unmap, as dockerd writes it
    return name, str(ip)


def normalize_extra_host(value: str) -> str:
    """What the docker CLI sends the daemon: ``name:ip``."""
    name, address = parse_extra_host(value)
    return f"{name}:{address}"
