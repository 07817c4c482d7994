"""The embedded resolver as the containers use it: each container on a user-defined network is
registered under its name, aliases, short id and hostname (``network.dns_names``), and its
sandbox's DNS sockets (127.0.0.11:53 inside it) are served from the daemon's loop
(``network.dns_server``), answering for that container. Names not ours go to the upstream
servers from the host's side (so loopback resolvers work, as Docker's do)."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import random
import socket
from collections.abc import Sequence

from wharf.network import dnsmsg
from wharf.network.dns_names import Decision, Endpoint, NameResolver, NetworkNames
from wharf.network.dns_server import DnsResponder, DnsServer, ForwardSettings, Upstream
from wharf.services.container_network_types import DnsRegistration

log = logging.getLogger(__name__)


def upstream(server: str) -> Upstream:
    host = server.split("%", 1)[0]
    return Upstream(host)


class ContainerDns:
    """The names of every container and the DNS servers of the running ones."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.resolver = NameResolver(shuffle=rng or random.Random())
        self._servers: dict[str, DnsServer] = {}

    def register(self, container_id: str, entries: Sequence[DnsRegistration],
                 links: dict[str, str], user_ndots: bool) -> None:
        """The container's endpoints (every network: the default bridge's too, marked without
        DNS, so only internal-ness and links count there); ``links`` alias → container id."""
        for entry in entries:
            names = self.resolver.networks.setdefault(
                entry.network, NetworkNames(entry.network, entry.dns_enabled, entry.internal))
            names.attach(Endpoint(container_id, entry.name, entry.aliases,
                                  _v4(entry.ipv4), _v6(entry.ipv6)))
        for alias, target in links.items():
            self.resolver.add_link(container_id, alias, target)
        if user_ndots:
            self.resolver.user_ndots.add(container_id)

    def unregister(self, container_id: str, network: str) -> None:
        names = self.resolver.networks.get(network)
        if names is not None:
            names.detach(container_id)

    def forget(self, container_id: str) -> None:
        self.resolver.forget_container(container_id)

    async def serve(self, container_id: str, sockets: list[socket.socket],
                    upstreams: Sequence[str]) -> None:
        """Answer on the sandbox's sockets (they are closed with the server)."""
        if not sockets:
            return

        def decide(question: dnsmsg.Question, client: tuple[str, int]) -> Decision:
            return self.resolver.decide(container_id, question.name, question.qtype)

        settings = ForwardSettings(tuple(upstream(s) for s in upstreams))
        server = DnsServer(DnsResponder(decide, settings))
        await server.serve(sockets)
        self._servers[container_id] = server

    async def stop(self, container_id: str) -> None:
        server = self._servers.pop(container_id, None)
        if server is not None:
            with contextlib.suppress(Exception):
                await server.close()


def _v4(text: str) -> ipaddress.IPv4Address | None:
    return ipaddress.IPv4Address(text) if text else None


def _v6(text: str) -> ipaddress.IPv6Address | None:
    return ipaddress.IPv6Address(text) if text else None
