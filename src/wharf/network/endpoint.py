"""A container's endpoint: a veth pair whose host side joins a bridge and whose peer is made
directly inside the sandbox, with its MAC, addresses and default routes.

Every function takes the ``IPRoute`` objects it needs; the caller opens them in the very thread
that calls (an ``IPRoute`` used from another thread talks to *that* thread's namespace).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from pathlib import Path
from typing import Any

from wharf.core.errors import NotFound
from wharf.core.netspec import EndpointSpec

__all__ = ["add_veth", "configure_inside", "interface_index", "ipv6_switch", "loopback_up"]

IFA_F_NODAD = 0x02  # no duplicate address detection: the address is usable at once (Docker's)


def interface_index(ipr: Any, ifname: str) -> int:
    found = ipr.link_lookup(ifname=ifname)
    if not found:
        raise NotFound(f"interface {ifname} not found")
    return int(found[0])


def add_veth(host: Any, spec: EndpointSpec, netns_fd: int) -> None:
    """The pair, from the host's socket: ``host_ifname`` on the bridge and up, the peer named
    ``spec.ifname`` created in the namespace of ``netns_fd``."""
    bridge = interface_index(host, spec.bridge)
    mtu = {"mtu": spec.mtu} if spec.mtu else {}
    host.link("add", ifname=spec.host_ifname, kind="veth",
              peer={"ifname": spec.ifname, "net_ns_fd": netns_fd, **mtu}, **mtu)
    try:
        index = interface_index(host, spec.host_ifname)
        host.link("set", index=index, master=bridge, state="up")
    except BaseException:
        host.link("del", ifname=spec.host_ifname)
        raise


def loopback_up(sandbox: Any) -> None:
    sandbox.link("set", index=interface_index(sandbox, "lo"), state="up")


def ipv6_switch(ifname: str, enabled: bool) -> None:
    """IPv6 on or off for one interface of the calling thread's namespace (``/proc/sys/net``
    follows the thread's namespace). Off for an endpoint without IPv6 addresses, as Docker
    does: no link-local address, no router advertisements taken on an IPv4-only network."""
    knob = Path("/proc/sys/net/ipv6/conf") / ifname / "disable_ipv6"
    with contextlib.suppress(FileNotFoundError):  # a kernel without IPv6
        knob.write_text("0\n" if enabled else "1\n")


def configure_inside(sandbox: Any, spec: EndpointSpec) -> None:
    """IPv6 switch, MAC, addresses, up, then a default route through each gateway (from the
    sandbox's socket, in its thread)."""
    index = interface_index(sandbox, spec.ifname)
    ipv6_switch(spec.ifname, any(ipaddress.ip_interface(a).version == 6 for a in spec.addresses))
    if spec.mac:
        sandbox.link("set", index=index, address=spec.mac)
    for text in spec.addresses:
        iface = ipaddress.ip_interface(text)
        family = socket.AF_INET6 if iface.version == 6 else socket.AF_INET
        extra = {"flags": IFA_F_NODAD} if iface.version == 6 else {}
        sandbox.addr("add", index=index, address=str(iface.ip),
                      prefixlen=iface.network.prefixlen, family=family, **extra)
    sandbox.link("set", index=index, state="up")
    for gateway in filter(None, spec.gateways):
        address = ipaddress.ip_address(gateway)
        if address.version == 6:
            sandbox.route("add", dst="::/0", gateway=str(address), oif=index,
                          family=socket.AF_INET6)
        else:
            sandbox.route("add", dst="0.0.0.0/0", gateway=str(address), oif=index)
