"""Bridges on the host: made (or completed) idempotently, removed when their network goes.

Runs in the caller's thread with an ``IPRoute`` of its own (host namespace: the driver is
called from worker threads that never enter a sandbox). The only host-wide setting written is
``net.ipv4.ip_forward`` when asked (as dockerd does); per-bridge IPv6 is turned on for a
bridge with IPv6 addresses and off for one without (so it gets no link-local address and
answers no router solicitations on a network that is not IPv6).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from pathlib import Path
from typing import Any

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from wharf.core.netspec import BridgeSpec

__all__ = [
    "bridge_exists", "delete_bridge", "enable_ip_forward", "ensure_bridge", "interface_exists",
]

PROC_SYS = Path("/proc/sys/net")
EEXIST, ENODEV = 17, 19
SCOPE_UNIVERSE = 0
IFA_F_NODAD = 0x02


def bridge_exists(name: str) -> bool:
    return (Path("/sys/class/net") / name / "bridge").is_dir()


def interface_exists(name: str) -> bool:
    """Whether the calling thread's namespace has an interface ``name`` (asked through a
    socket, which lives in that namespace; sysfs would show the namespace it was mounted in)."""
    try:
        socket.if_nametoindex(name)
    except OSError:
        return False
    return True


def ensure_bridge(spec: BridgeSpec) -> None:
    """The bridge with exactly the spec's global addresses (one left from another ``bip`` is
    taken off; link-local ones stay), its MTU and IPv6 switch, up."""
    with IPRoute() as ipr:
        index = _link(ipr, spec)
        _ipv6_switch(spec.ifname, any(_version(a) == 6 for a in spec.addresses))
        wanted = {_key(text) for text in spec.addresses}
        present = set()
        for addr in ipr.addr("dump", index=index):
            key = (addr.get_attr("IFA_ADDRESS"), addr["prefixlen"])
            present.add(key)
            if key not in wanted and addr["scope"] == SCOPE_UNIVERSE:
                ipr.addr("del", index=index, address=key[0], prefixlen=key[1],
                         family=addr["family"])
        for text in spec.addresses:
            if _key(text) not in present:
                _add_address(ipr, index, text)
        ipr.link("set", index=index, state="up")


def _key(text: str) -> tuple[str, int]:
    iface = ipaddress.ip_interface(text)
    return str(iface.ip), iface.network.prefixlen


def _add_address(ipr: Any, index: int, text: str) -> None:
    iface = ipaddress.ip_interface(text)
    family = socket.AF_INET6 if iface.version == 6 else socket.AF_INET
    extra = {"flags": IFA_F_NODAD} if iface.version == 6 else {}
    ipr.addr("add", index=index, address=str(iface.ip), prefixlen=iface.network.prefixlen,
             family=family, **extra)


def _link(ipr: Any, spec: BridgeSpec) -> int:
    mtu = {"mtu": spec.mtu} if spec.mtu else {}
    found = ipr.link_lookup(ifname=spec.ifname)
    if not found:
        try:
            ipr.link("add", ifname=spec.ifname, kind="bridge", **mtu)
        except NetlinkError as exc:
            if exc.code != EEXIST:  # made meanwhile by a concurrent call: fine
                raise
        found = ipr.link_lookup(ifname=spec.ifname)
    elif mtu:
        ipr.link("set", index=found[0], **mtu)
    return int(found[0])


def _version(text: str) -> int:
    return ipaddress.ip_interface(text).version


def _ipv6_switch(ifname: str, enabled: bool) -> None:
    knob = PROC_SYS / "ipv6" / "conf" / ifname / "disable_ipv6"
    with contextlib.suppress(FileNotFoundError):  # no IPv6 in this kernel
        knob.write_text("0\n" if enabled else "1\n")


def delete_bridge(name: str) -> None:
    """Deletes the bridge; an absent one is fine."""
    with IPRoute() as ipr:
        found = ipr.link_lookup(ifname=name)
        if not found:
            return
        try:
            ipr.link("del", index=found[0])
        except NetlinkError as exc:
            if exc.code != ENODEV:
                raise


def enable_ip_forward() -> None:
    knob = PROC_SYS / "ipv4" / "ip_forward"
    if knob.read_text().strip() != "1":
        knob.write_text("1\n")
