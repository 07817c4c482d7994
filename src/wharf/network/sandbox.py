"""A container's sandbox made in one go: namespace, lo up, veth endpoints, the embedded DNS
sockets; and endpoints added to or taken from a running one.

The sandbox is made in a thread that unshares and ends (:func:`wharf.network.netns.create`):
its first ``IPRoute`` (opened before the unshare) is the host's, the second the sandbox's.
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path
from typing import Any

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from wharf.core.errors import NotFound
from wharf.core.netspec import EndpointSpec
from wharf.network import netns
from wharf.network.endpoint import add_veth, configure_inside, interface_index, loopback_up

__all__ = ["DNS_ADDRESS", "add_endpoint", "make_sandbox", "remove_endpoint"]

DNS_ADDRESS = ("127.0.0.11", 53)
ENODEV = 19


def dns_sockets() -> list[socket.socket]:
    """UDP and TCP on 127.0.0.11:53, bound in the calling thread's namespace."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        udp.bind(DNS_ADDRESS)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(DNS_ADDRESS)
        tcp.listen(64)
    except BaseException:
        udp.close()
        tcp.close()
        raise
    return [udp, tcp]


def make_sandbox(path: Path, endpoints: list[EndpointSpec], dns: bool) -> list[socket.socket]:
    """The namespace at ``path`` with ``endpoints``; returns the DNS sockets (empty if not
    ``dns``)."""

    def setup(host: Any, netns_fd: int) -> list[socket.socket]:
        with IPRoute() as inside:
            loopback_up(inside)
            for spec in endpoints:
                add_veth(host, spec, netns_fd)
                configure_inside(inside, spec)
        return dns_sockets() if dns else []

    return netns.create(path, IPRoute, setup)


def add_endpoint(path: Path, spec: EndpointSpec) -> None:
    """A new endpoint in a running sandbox: the veth from the host (this thread), its inside
    configured from a thread that enters the sandbox."""
    with IPRoute() as host:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            add_veth(host, spec, fd)
        finally:
            os.close(fd)
        try:
            netns.run_in_netns(path, lambda: _configure(spec))
        except BaseException:
            with contextlib.suppress(NetlinkError):
                host.link("del", ifname=spec.host_ifname)
            raise


def _configure(spec: EndpointSpec) -> None:
    with IPRoute() as inside:
        configure_inside(inside, spec)


def remove_endpoint(path: Path, spec: EndpointSpec) -> None:
    """Deletes the endpoint's interface inside the sandbox (its host side goes with it); an
    endpoint already gone is fine."""
    netns.run_in_netns(path, lambda: _delete_inside(spec.ifname))


def _delete_inside(ifname: str) -> None:
    with IPRoute() as inside:
        try:
            inside.link("del", index=interface_index(inside, ifname))
        except NetlinkError as exc:
            if exc.code != ENODEV:
                raise
        except NotFound:
            return
