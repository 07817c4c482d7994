"""How one published port is served: by the userland proxy, by DNAT rules, or both.

Docker's choices, with one difference forced by wharf never turning on ``route_localnet``:
loopback is always served by the proxy.

- iptables off, or ``publish-respects-firewall``: the proxy only (INPUT rules apply to it).
- ``userland-proxy`` on (the default): the proxy listens on every published address (it holds
  the port and serves loopback and hairpin traffic) and DNAT rules take the rest.
- ``userland-proxy`` off: DNAT rules only; a loopback host address, or the loopback part of an
  unspecified one (``0.0.0.0``, ``::``), still gets a proxy listener.

SCTP has no userland proxy: it is published by DNAT only, and refused where that is not
possible.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass

from wharf.core.errors import NotImplementedByWharf
from wharf.core.netspec import PortMapping

__all__ = ["PublishPlan", "PublishPolicy", "plan"]


@dataclass(frozen=True)
class PublishPolicy:
    iptables: bool = True
    userland_proxy: bool = True
    proxy_only: bool = False  # publish-respects-firewall


@dataclass(frozen=True)
class PublishPlan:
    proxy: PortMapping | None  # the listener (its host_ip may differ from the mapping's)
    dnat: bool


def plan(mapping: PortMapping, policy: PublishPolicy) -> PublishPlan:
    host = ipaddress.ip_address(mapping.host_ip or "0.0.0.0")
    container = ipaddress.ip_address(mapping.container_ip)
    dnat = (policy.iptables and not policy.proxy_only and not host.is_loopback
            and host.version == container.version)
    listener: PortMapping | None = mapping
    if dnat and not policy.userland_proxy:
        listener = _loopback_part(mapping, host)
    if mapping.proto == "sctp" and listener is not None:
        if not dnat:
            raise NotImplementedByWharf(
                f"publishing sctp port {mapping.host_port} needs iptables DNAT rules "
                "(wharf's userland proxy does not relay sctp)")
        listener = None
    return PublishPlan(listener, dnat)


def _loopback_part(mapping: PortMapping,
                   host: ipaddress.IPv4Address | ipaddress.IPv6Address) -> PortMapping | None:
    if not host.is_unspecified:
        return None
    loopback = "::1" if host.version == 6 else "127.0.0.1"
    return dataclasses.replace(mapping, host_ip=loopback)
