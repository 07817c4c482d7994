"""iptables rules for wharf's networks, as argv lists, each add paired with its delete.

Layout (Docker's, under wharf's own names; nothing else is ever flushed or removed)::

    filter FORWARD  -I 1: -j WHARF-USER, then -j WHARF-FORWARD (so WHARF-USER is first)
    WHARF-USER      the admin's rules, ending in RETURN (like DOCKER-USER)
    WHARF-FORWARD   -j WHARF-ISOLATION-STAGE-1, then per bridge: established, -j WHARF,
                    outbound, inter-container (ICC)
    WHARF-ISOLATION-STAGE-1/2   traffic between two user bridges dropped; --internal drops
                    whatever leaves or enters the subnet
    filter WHARF    ACCEPT for each published port
    nat PREROUTING/OUTPUT  -m addrtype --dst-type LOCAL -j WHARF (OUTPUT skips 127/8 while the
                    userland proxy serves loopback)
    nat WHARF       DNAT for each published port
    nat POSTROUTING -j WHARF-POSTROUTING: MASQUERADE of a bridge's subnet, the hairpin of a
                    published port

Built-in chains hold nothing but jumps into wharf's chains, so a sweep after a crash can find
and remove exactly wharf's rules (:mod:`wharf.network.firewall`).

A :class:`RuleSet` gives the commands that apply it and the exact commands that undo it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from wharf.core.errors import InvalidParameter
from wharf.core.netspec import PortMapping

__all__ = [
    "OWN_CHAINS",
    "BridgeNet",
    "PublishedPort",
    "Rule",
    "RuleSet",
    "base_rules",
    "bridge_rules",
    "published_port_rules",
]

OWN_CHAINS = (
    "WHARF",
    "WHARF-USER",
    "WHARF-FORWARD",
    "WHARF-ISOLATION-STAGE-1",
    "WHARF-ISOLATION-STAGE-2",
    "WHARF-POSTROUTING",
)
NAT_CHAINS = ("WHARF", "WHARF-POSTROUTING")
FILTER_CHAINS = OWN_CHAINS[:5]
POSTROUTING = "WHARF-POSTROUTING"
STAGE1, STAGE2 = "WHARF-ISOLATION-STAGE-1", "WHARF-ISOLATION-STAGE-2"
PROTOS = ("tcp", "udp", "sctp")


@dataclass(frozen=True)
class Rule:
    table: str
    chain: str
    spec: tuple[str, ...]
    first: bool = False  # inserted at position 1 rather than appended

    def add_argv(self, binary: str) -> list[str]:
        where = ["-I", self.chain, "1"] if self.first else ["-A", self.chain]
        return [binary, "-t", self.table, *where, *self.spec]

    def delete_argv(self, binary: str) -> list[str]:
        return [binary, "-t", self.table, "-D", self.chain, *self.spec]

    def check_argv(self, binary: str) -> list[str]:
        return [binary, "-t", self.table, "-C", self.chain, *self.spec]


@dataclass(frozen=True)
class RuleSet:
    """Chains wharf creates and rules it adds, for one IP family."""

    family: int
    rules: tuple[Rule, ...]
    chains: tuple[tuple[str, str], ...] = ()  # (table, chain), all wharf's own

    def __post_init__(self) -> None:
        for _table, chain in self.chains:
            if chain not in OWN_CHAINS:
                raise InvalidParameter(f"not a wharf chain: {chain}")

    @property
    def binary(self) -> str:
        return "ip6tables" if self.family == 6 else "iptables"

    def add_commands(self) -> list[list[str]]:
        new = [[self.binary, "-t", table, "-N", chain] for table, chain in self.chains]
        return new + [rule.add_argv(self.binary) for rule in self.rules]

    def delete_commands(self) -> list[list[str]]:
        """The undo of :meth:`add_commands`: rules deleted in reverse, then wharf's chains."""
        undo = [rule.delete_argv(self.binary) for rule in reversed(self.rules)]
        for table, chain in reversed(self.chains):
            undo.append([self.binary, "-t", table, "-F", chain])
        for table, chain in reversed(self.chains):
            undo.append([self.binary, "-t", table, "-X", chain])
        return undo


@dataclass(frozen=True)
class BridgeNet:
    name: str
    subnet: str
    internal: bool = False
    icc: bool = True  # inter-container communication on the same bridge
    user_defined: bool = True  # the default bridge is isolated from user networks too
    masquerade: bool = True  # com.docker.network.bridge.enable_ip_masquerade


@dataclass(frozen=True)
class PublishedPort:
    bridge: str
    container_ip: str
    container_port: int
    proto: str
    host_ip: str  # "" or unspecified: every local address
    host_port: int


def _check_ifname(name: str) -> str:
    if not 0 < len(name) <= 15 or any(c in name for c in "/ \t\n:") or not name.isascii():
        raise InvalidParameter(f"invalid interface name: {name!r}")
    return name


def _subnet(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        raise InvalidParameter(f"invalid CIDR address: {text}") from None


def base_rules(family: int = 4, userland_proxy: bool = True) -> RuleSet:
    """wharf's chains and the jumps into them from the built-in chains."""
    if family not in (4, 6):
        raise InvalidParameter(f"unknown IP family: {family}")
    loopback = "127.0.0.0/8" if family == 4 else "::1/128"
    local_only = ("!", "-d", loopback) if userland_proxy else ()
    local = ("-m", "addrtype", "--dst-type", "LOCAL", "-j", "WHARF")
    rules = (
        Rule("nat", "PREROUTING", local),
        Rule("nat", "OUTPUT", (*local_only, *local)),
        Rule("nat", "POSTROUTING", ("-j", POSTROUTING)),
        Rule("filter", "WHARF-USER", ("-j", "RETURN")),
        Rule("filter", STAGE1, ("-j", "RETURN")),
        Rule("filter", STAGE2, ("-j", "RETURN")),
        Rule("filter", "WHARF-FORWARD", ("-j", STAGE1)),
        Rule("filter", "FORWARD", ("-j", "WHARF-FORWARD"), first=True),
        Rule("filter", "FORWARD", ("-j", "WHARF-USER"), first=True),
    )
    chains = (*(("nat", c) for c in NAT_CHAINS), *(("filter", c) for c in FILTER_CHAINS))
    return RuleSet(family, rules, chains)


def bridge_rules(net: BridgeNet, userland_proxy: bool = True) -> RuleSet:
    """Masquerade, forwarding and isolation for one bridge network."""
    br = _check_ifname(net.name)
    subnet = _subnet(net.subnet)
    icc = ("-i", br, "-o", br, "-j", "ACCEPT" if net.icc else "DROP")
    if net.internal:
        rules: tuple[Rule, ...] = (
            Rule("filter", STAGE1, ("-i", br, "!", "-d", str(subnet), "-j", "DROP"), first=True),
            Rule("filter", STAGE1, ("-o", br, "!", "-s", str(subnet), "-j", "DROP"), first=True),
            Rule("filter", "WHARF-FORWARD", icc),
        )
        return RuleSet(subnet.version, rules)
    established = ("-o", br, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED")
    masquerade = Rule("nat", POSTROUTING, ("-s", str(subnet), "!", "-o", br, "-j", "MASQUERADE"))
    rules = (
        *((masquerade,) if net.masquerade else ()),
        Rule("nat", "WHARF", ("-i", br, "-j", "RETURN")),
        Rule("filter", "WHARF-FORWARD", (*established, "-j", "ACCEPT")),
        Rule("filter", "WHARF-FORWARD", ("-o", br, "-j", "WHARF")),
        Rule("filter", "WHARF-FORWARD", ("-i", br, "!", "-o", br, "-j", "ACCEPT")),
        Rule("filter", "WHARF-FORWARD", icc),
        Rule("filter", STAGE1, ("-i", br, "!", "-o", br, "-j", STAGE2), first=True),
        Rule("filter", STAGE2, ("-o", br, "-j", "DROP"), first=True),
    )
    if not userland_proxy:
        hairpin = ("-m", "addrtype", "--src-type", "LOCAL", "-o", br, "-j", "MASQUERADE")
        rules += (Rule("nat", POSTROUTING, hairpin),)
    return RuleSet(subnet.version, rules)


def published_port_rules(port: PublishedPort) -> RuleSet:
    """DNAT host ip:port → container ip:port, its filter ACCEPT, and the hairpin masquerade."""
    br = _check_ifname(port.bridge)
    cip = _address(port.container_ip)
    if port.proto not in PROTOS:
        raise InvalidParameter(f"Invalid proto: {port.proto}")
    for number in (port.container_port, port.host_port):
        if not 0 < number <= 65535:
            raise InvalidParameter(f"invalid port: {number}")
    host = _address(port.host_ip) if port.host_ip else None
    if host is not None and host.version != cip.version:
        raise InvalidParameter(f"host IP {host} and container IP {cip} differ in family")
    width = 32 if cip.version == 4 else 128
    match = ("-p", port.proto, "-m", port.proto, "--dport")
    target = (
        f"{cip}:{port.container_port}" if cip.version == 4 else f"[{cip}]:{port.container_port}"
    )
    dest = ("-d", f"{host}/{width}") if host is not None and not host.is_unspecified else ()
    mine = ("-s", f"{cip}/{width}", "-d", f"{cip}/{width}")
    rules = (
        Rule(
            "nat",
            "WHARF",
            (
                *dest,
                "!",
                "-i",
                br,
                *match,
                str(port.host_port),
                "-j",
                "DNAT",
                "--to-destination",
                target,
            ),
        ),
        Rule(
            "filter",
            "WHARF",
            (
                "-d",
                f"{cip}/{width}",
                "!",
                "-i",
                br,
                "-o",
                br,
                *match,
                str(port.container_port),
                "-j",
                "ACCEPT",
            ),
        ),
        Rule("nat", POSTROUTING, (*mine, *match, str(port.container_port), "-j", "MASQUERADE")),
    )
    return RuleSet(cip.version, rules)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise InvalidParameter(f"invalid IP address: {text}") from None


def translated_port(mapping: PortMapping,
                    enabled: Callable[[int], bool]) -> tuple[int, PublishedPort] | None:
    """(IP version, the rule's view of the port) when ``mapping`` gets DNAT rules; None where
    no rule applies: a loopback host address (the proxy serves it), host and container of
    different families, or rules of that family switched off."""
    container = ipaddress.ip_address(mapping.container_ip)
    host = ipaddress.ip_address(mapping.host_ip or "0.0.0.0")
    if host.is_loopback or host.version != container.version:
        return None
    if not enabled(container.version):
        return None
    return container.version, PublishedPort(
        mapping.bridge, mapping.container_ip, mapping.container_port, mapping.proto,
        mapping.host_ip, mapping.host_port)
