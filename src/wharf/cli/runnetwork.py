"""``run``/``create`` networking flags as the docker CLI sends them: ``--network`` with
``--network-alias``, ``--ip``, ``--ip6``, ``--link``, ``--mac-address`` go into the first
network's ``EndpointsConfig`` entry (``default`` when no ``--network``; API ≥ 1.44 carries the
MAC there); ``--link`` also into ``HostConfig.Links``; values checked with docker's messages."""

from __future__ import annotations

import ipaddress
import re

from wharf.cli.flags import Parsed
from wharf.cli.runconfig import flag_error

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_MAC = re.compile(r"^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$")


def endpoints_config(opts: Parsed) -> dict[str, Any]:
    """The create body's ``NetworkingConfig.EndpointsConfig``."""
    endpoint: dict[str, Any] = {}
    ipam = {}
    if opts["ip"]:
        ipam["IPv4Address"] = _ip(str(opts["ip"]), "--ip", 4)
    if opts["ip6"]:
        ipam["IPv6Address"] = _ip(str(opts["ip6"]), "--ip6", 6)
    if ipam:
        endpoint["IPAMConfig"] = ipam
    if opts["network-alias"]:
        endpoint["Aliases"] = list(opts["network-alias"])
    if opts["link"]:
        endpoint["Links"] = [link(value) for value in opts["link"]]
    if opts["mac-address"]:
        mac = str(opts["mac-address"])
        if not _MAC.match(mac):
            raise flag_error(mac, "--mac-address", f"{mac} is not a valid mac address")
        endpoint["MacAddress"] = mac
    network = str(opts["network"] or "")
    if not network and not endpoint:
        return {}
    return {network or "default": endpoint}


def _ip(value: str, flag: str, version: int) -> str:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        address = None
    if address is None or address.version != version:
        raise flag_error(value, flag, "invalid string being converted to IP address: "
                                      f"{value}")
    return value


def dns_server(value: str) -> str:
    """docker's ``ValidateIPAddress`` for ``--dns``."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise flag_error(value, "--dns", f"IP address is not correctly formatted: {value}") \
            from None


def link(value: str) -> str:
    """docker's ``ValidateLink``: ``name[:alias]``."""
    parts = value.split(":")
    if len(parts) > 2 or not parts[0] or (len(parts) == 2 and not parts[1]):
        raise flag_error(value, "--link", f"bad format for links: {value}")
    return value
