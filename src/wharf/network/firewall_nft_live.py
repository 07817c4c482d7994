"""The nftables backend, rule by rule: what :class:`~wharf.network.firewall_host.HostFirewall`
does with iptables, in the ``ip``/``ip6`` ``wharf`` tables shared by every wharfd on the host.

Table, chains and the jumps of the hooked chains are added idempotently and never removed.
Every other rule carries a comment ``wharf br=<bridge> key=<what>`` naming its bridge and what
it belongs to: a bridge's subnet or a published port. Removing finds rules by that comment
(``nft -a`` gives their handles); sweeping deletes those whose bridge is doomed. Each change is
one ``nft -f`` transaction: all of it happens or none.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator

from wharf.core.errors import RuntimeFailure
from wharf.core.netspec import BridgeSpec, PortMapping
from wharf.network.firewall_detect import CommandRunner
from wharf.network.firewall_nft import base_chain_text, bridge_lines, port_lines
from wharf.network.firewall_rules import BridgeNet, PublishedPort, translated_port

__all__ = ["NftFirewall", "owned_rules"]

CHAIN = re.compile(r"^\s*chain (\S+) \{")
TAGGED = re.compile(r'comment "wharf br=(\S+) key=([^"]+)" # handle (\d+)\s*$')


def owned_rules(listing: str) -> Iterator[tuple[str, str, str, str]]:
    """(chain, bridge, key, handle) of each tagged rule in ``nft -a list table`` output."""
    chain = ""
    for line in listing.splitlines():
        if found := CHAIN.match(line):
            chain = found.group(1)
        elif tagged := TAGGED.search(line):
            yield chain, tagged.group(1), tagged.group(2), tagged.group(3)


def _fam(family: int) -> str:
    return "ip6" if family == 6 else "ip"


class NftFirewall:
    def __init__(self, runner: CommandRunner, *, ipv4: bool, ipv6: bool,
                 hairpin_nat: bool) -> None:
        self._runner = runner
        self._families = {4: ipv4, 6: ipv6}
        self._hairpin_nat = hairpin_nat
        self._based: set[int] = set()

    def enabled(self, family: int) -> bool:
        return self._families.get(family, False)

    def _nft(self, text: str) -> None:
        out = self._runner.run(["nft", "-f", "-"], text)
        if out.returncode != 0:
            raise RuntimeFailure(f"nft -f: exit status {out.returncode}: {out.stderr.strip()}")

    def _listing(self, family: int) -> str:
        out = self._runner.run(["nft", "-a", "list", "table", _fam(family), "wharf"])
        return out.stdout if out.returncode == 0 else ""

    def _ensure_base(self, family: int) -> None:
        if family in self._based:
            return
        text, jumps = base_chain_text(family, userland_proxy=True)
        self._nft(text)
        listing, fam = self._listing(family), _fam(family)
        chains = _chain_bodies(listing)
        missing = [f'insert rule {fam} wharf {chain} {jump} comment "wharf-base"\n'
                   for chain, jump in jumps.items() if "wharf-base" not in chains.get(chain, "")]
        if missing:
            self._nft("".join(missing))
        self._based.add(family)

    def _replace(self, family: int, bridge: str, key: str, lines: dict[str, list[str]]) -> None:
        try:
            self._replace_once(family, bridge, key, lines)
        except RuntimeFailure:  # the shared table removed behind our back? make it, retry once
            self._based.discard(family)
            self._replace_once(family, bridge, key, lines)

    def _replace_once(self, family: int, bridge: str, key: str,
                      lines: dict[str, list[str]]) -> None:
        """Swaps the rules tagged (bridge, key) for ``lines`` in one transaction."""
        self._ensure_base(family)
        fam = _fam(family)
        text = self._deletes(family, _tagged(bridge, key))
        tag = f'comment "wharf br={bridge} key={key}"'
        for chain, rules in lines.items():
            verb = "insert" if chain == "port-dnat" and key.startswith("net:") else "add"
            text += "".join(f"{verb} rule {fam} wharf {chain} {rule} {tag}\n" for rule in rules)
        self._nft(text)

    def _deletes(self, family: int, doomed: Callable[[str, str], bool]) -> str:
        fam = _fam(family)
        return "".join(f"delete rule {fam} wharf {chain} handle {handle}\n"
                       for chain, bridge, key, handle in owned_rules(self._listing(family))
                       if doomed(bridge, key))

    def _remove(self, family: int, doomed: Callable[[str, str], bool]) -> list[str]:
        text = self._deletes(family, doomed)
        try:
            if text:
                self._nft(text)
        except RuntimeFailure as exc:
            return [str(exc)]
        return []

    def _nets(self, spec: BridgeSpec) -> Iterator[tuple[int, BridgeNet]]:
        for address in spec.addresses:
            network = ipaddress.ip_interface(address).network
            if self.enabled(network.version):
                yield network.version, BridgeNet(spec.ifname, str(network), spec.internal,
                                                 spec.icc, spec.user_defined, spec.masquerade)

    def add_bridge(self, spec: BridgeSpec) -> None:
        for family, net in self._nets(spec):
            lines = bridge_lines(family, net, userland_proxy=not self._hairpin_nat)
            self._replace(family, spec.ifname, f"net:{net.subnet}", lines)

    def remove_bridge(self, spec: BridgeSpec) -> list[str]:
        failures: list[str] = []
        for family, net in self._nets(spec):
            failures += self._remove(family, _tagged(spec.ifname, f"net:{net.subnet}"))
        return failures

    def _port(self, mapping: PortMapping) -> tuple[int, PublishedPort] | None:
        return translated_port(mapping, self.enabled)

    @staticmethod
    def _port_key(mapping: PortMapping) -> str:
        return f"port:{mapping.proto}/{mapping.host_ip or '0.0.0.0'}/{mapping.host_port}"

    def add_port(self, mapping: PortMapping) -> None:
        found = self._port(mapping)
        if found is not None:
            family, port = found
            self._replace(family, mapping.bridge, self._port_key(mapping),
                          port_lines(family, port))

    def remove_port(self, mapping: PortMapping) -> list[str]:
        found = self._port(mapping)
        if found is None:
            return []
        return self._remove(found[0], _tagged(mapping.bridge, self._port_key(mapping)))

    def sweep(self, doomed: Callable[[str], bool]) -> list[str]:
        failures: list[str] = []
        for family in (4, 6):
            if self.enabled(family):
                failures += self._remove(family, lambda bridge, _key: doomed(bridge))
        return failures


def _tagged(bridge: str, key: str) -> Callable[[str, str], bool]:
    return lambda b, k: (b, k) == (bridge, key)


def _chain_bodies(listing: str) -> dict[str, str]:
    bodies: dict[str, str] = {}
    chain = ""
    for line in listing.splitlines():
        if found := CHAIN.match(line):
            chain = found.group(1)
        elif chain:
            bodies[chain] = bodies.get(chain, "") + line + "\n"
    return bodies
