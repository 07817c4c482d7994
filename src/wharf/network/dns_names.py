"""The embedded resolver's names: who resolves what, on which network, as Docker does.

A container on a network with DNS (user-defined networks; not the default bridge) resolves, on
every such network it is attached to, the other endpoints' container names, network aliases and
12-hex short ids, case-insensitively; ``name.<network>`` asks one network only. Legacy links add
names seen by the linking container alone. What is not a local name is forwarded upstream, unless
every network of the asking container is internal (then SERVFAIL). A local name asked for an
address family it lacks gets an empty NOERROR answer, never a forward; so does an unknown
single-label name from a container whose ``--dns-option`` set ndots above 0 (its client will
retry with the search domains appended). PTR queries for a
container's address answer ``<name>.<network>``. Several addresses for one name come in a
random order when the resolver is given a ``random.Random`` (Docker shuffles them).
"""

from __future__ import annotations

import enum
import ipaddress
import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from wharf.network.dnsmsg import TYPE_A, TYPE_AAAA, TYPE_PTR

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
SHORT_ID_LENGTH = 12


class Action(enum.Enum):
    ANSWER = "answer"  # NOERROR with ``addresses`` / ``pointers`` (maybe none)
    FORWARD = "forward"  # ask the upstream servers
    FAIL = "fail"  # not ours, and no way out (internal networks only): SERVFAIL, as Docker


@dataclass(frozen=True)
class Decision:
    action: Action
    addresses: tuple[Address, ...] = ()
    pointers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Endpoint:
    """One container's attachment to one network."""

    container_id: str
    name: str
    aliases: tuple[str, ...] = ()
    ipv4: ipaddress.IPv4Address | None = None
    ipv6: ipaddress.IPv6Address | None = None

    def dns_names(self) -> set[str]:
        names = {self.name.lstrip("/"), *self.aliases, self.container_id[:SHORT_ID_LENGTH]}
        return {normalise(name) for name in names if name}

    def addresses(self, qtype: int) -> tuple[Address, ...]:
        wanted = self.ipv4 if qtype == TYPE_A else self.ipv6
        return (wanted,) if wanted is not None else ()


@dataclass
class NetworkNames:
    """The names of one network."""

    name: str
    dns_enabled: bool = True  # False for the default bridge: no embedded DNS there
    internal: bool = False
    endpoints: dict[str, Endpoint] = field(default_factory=dict)

    def attach(self, endpoint: Endpoint) -> None:
        self.endpoints[endpoint.container_id] = endpoint

    def detach(self, container_id: str) -> None:
        self.endpoints.pop(container_id, None)

    def matching(self, name: str) -> list[Endpoint]:
        wanted = normalise(name)
        return [ep for ep in self.endpoints.values() if wanted in ep.dns_names()]


def normalise(name: str) -> str:
    return name.rstrip(".").lower()


@dataclass
class NameResolver:
    """Every network's names and the links of each container; answers one question."""

    networks: dict[str, NetworkNames] = field(default_factory=dict)
    links: dict[str, dict[str, str]] = field(default_factory=dict)  # asker -> alias -> target
    user_ndots: set[str] = field(default_factory=set)  # askers whose --dns-option set ndots>0
    shuffle: random.Random | None = None  # several addresses rotate, as Docker's do; None: keep

    def network(self, name: str) -> NetworkNames:
        return self.networks[name]

    def add_link(self, asker_id: str, alias: str, target_id: str) -> None:
        self.links.setdefault(asker_id, {})[normalise(alias)] = target_id

    def forget_container(self, container_id: str) -> None:
        for network in self.networks.values():
            network.detach(container_id)
        self.links.pop(container_id, None)
        self.user_ndots.discard(container_id)

    def decide(self, asker_id: str, qname: str, qtype: int) -> Decision:
        own = self._dns_networks_of(asker_id)
        if qtype == TYPE_PTR:
            pointers = self._reverse(own, qname)
            if pointers:
                return Decision(Action.ANSWER, pointers=pointers)
        elif qtype in (TYPE_A, TYPE_AAAA):
            found = self._forward_lookup(asker_id, own, normalise(qname))
            if found is not None:
                addresses = list(_unique(a for ep in found for a in ep.addresses(qtype)))
                if self.shuffle is not None:
                    self.shuffle.shuffle(addresses)
                return Decision(Action.ANSWER, addresses=tuple(addresses))
        return self._not_local(asker_id, qname, qtype)

    def _dns_networks_of(self, asker_id: str) -> list[NetworkNames]:
        return [net for net in self.networks.values()
                if net.dns_enabled and asker_id in net.endpoints]

    def _forward_lookup(self, asker_id: str, own: list[NetworkNames],
                        name: str) -> list[Endpoint] | None:
        linked = self._linked(asker_id, own, name)
        if linked:
            return linked
        for network in own:
            suffix = "." + network.name.lower()
            if name.endswith(suffix) and network.matching(name[: -len(suffix)]):
                return network.matching(name[: -len(suffix)])
        for network in own:
            found = network.matching(name)
            if found:
                return found
        return None

    def _linked(self, asker_id: str, own: list[NetworkNames], name: str) -> list[Endpoint]:
        target = self.links.get(asker_id, {}).get(name)
        if target is None:
            return []
        return [net.endpoints[target] for net in own if target in net.endpoints][:1]

    def _reverse(self, own: list[NetworkNames], qname: str) -> tuple[str, ...]:
        address = reverse_pointer_address(qname)
        if address is None:
            return ()
        return tuple(f"{ep.name.lstrip('/')}.{net.name}" for net in own
                     for ep in net.endpoints.values() if address in (ep.ipv4, ep.ipv6))

    def _not_local(self, asker_id: str, qname: str, qtype: int) -> Decision:
        attached = [net for net in self.networks.values() if asker_id in net.endpoints]
        if attached and all(net.internal for net in attached):
            return Decision(Action.FAIL)
        single_label = "." not in normalise(qname)
        if single_label and qtype in (TYPE_A, TYPE_AAAA) and asker_id in self.user_ndots:
            return Decision(Action.ANSWER)  # the client retries with its search domains
        return Decision(Action.FORWARD)


def reverse_pointer_address(qname: str) -> Address | None:
    """The address a PTR name (``4.3.2.1.in-addr.arpa``, ``...ip6.arpa``) stands for."""
    name = normalise(qname)
    if name.endswith(".in-addr.arpa"):
        parts = name[: -len(".in-addr.arpa")].split(".")
        if len(parts) != 4:
            return None
        return _parse_address(".".join(reversed(parts)))
    if name.endswith(".ip6.arpa"):
        nibbles = name[: -len(".ip6.arpa")].split(".")
        if len(nibbles) != 32 or any(len(n) != 1 for n in nibbles):
            return None
        digits = "".join(reversed(nibbles))
        return _parse_address(":".join(digits[i : i + 4] for i in range(0, 32, 4)))
    return None


def _parse_address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _unique(addresses: Iterable[Address]) -> tuple[Address, ...]:
    return tuple(dict.fromkeys(addresses))
