"""The nftables backend: wharf's whole ruleset for one IP family as ``nft -f`` text.

Everything lives in wharf's own tables, so nothing another engine made is ever touched:

- ``<family> wharf``: regenerated from the networks and published ports and swapped in at
  once (``table``, ``delete table``, ``table {...}`` in one ``nft -f`` transaction); removed
  with ``delete table <family> wharf``. Chains mirror the iptables layout of
  :mod:`wharf.network.firewall_rules` (port-dnat, published, isolation stages, forward).
- ``<family> wharf-user``: the admin's chain (like DOCKER-USER), hooked on forward just
  before wharf's (priority filter - 1). wharf creates it if missing and never flushes it; a
  ``drop`` there is final, an ``accept`` lets wharf's chains still decide.

Note: an accept in wharf's table does not override a drop in another table on the same hook
(nftables evaluates every base chain); a host whose forward policy drops needs its own rule.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from wharf.core.errors import InvalidParameter
from wharf.network.firewall_rules import (
    BridgeNet,
    PublishedPort,
    bridge_rules,
    published_port_rules,
)

__all__ = ["delete_text", "ruleset_text", "user_table_text"]


def _table_family(family: int) -> str:
    if family not in (4, 6):
        raise InvalidParameter(f"unknown IP family: {family}")
    return "ip" if family == 4 else "ip6"


def delete_text(family: int) -> str:
    return f"delete table {_table_family(family)} wharf\n"


def user_table_text(family: int) -> str:
    """Creates the admin's table and chain when missing; leaves their rules alone."""
    fam = _table_family(family)
    return (
        f"add table {fam} wharf-user\n"
        f"add chain {fam} wharf-user forward "
        "{ type filter hook forward priority filter - 1; policy accept; }\n"
    )


def ruleset_text(
    family: int,
    bridges: Sequence[BridgeNet],
    ports: Sequence[PublishedPort],
    userland_proxy: bool = True,
) -> str:
    """The ``wharf`` table for ``family`` holding these bridges and published ports."""
    fam = _table_family(family)
    bridges = [b for b in bridges if _version(b.subnet) == family]
    ports = [p for p in ports if _version(p.container_ip) == family]
    for bridge in bridges:
        bridge_rules(bridge)  # validates names and subnets as the iptables side does
    chains = {
        "prerouting": ["type nat hook prerouting priority dstnat; policy accept;",
                       "fib daddr type local jump port-dnat"],
        "output": ["type nat hook output priority -100; policy accept;",
                   _output_jump(fam, userland_proxy)],
        "postrouting": ["type nat hook postrouting priority srcnat; policy accept;"],
        "forward": ["type filter hook forward priority filter; policy accept;",
                    "jump isolation-stage-1"],
        "port-dnat": [], "published": [], "isolation-stage-1": [], "isolation-stage-2": [],
    }  # fmt: skip
    for bridge in bridges:
        _add_bridge(chains, fam, bridge, userland_proxy)
    for port in ports:
        _add_port(chains, fam, port)
    body = "".join(_chain_text(name, lines) for name, lines in chains.items())
    return f"table {fam} wharf\ndelete table {fam} wharf\ntable {fam} wharf {{\n{body}}}\n"


def _version(address: str) -> int:
    try:
        return ipaddress.ip_network(address, strict=False).version
    except ValueError:
        raise InvalidParameter(f"invalid IP address: {address}") from None


def _output_jump(fam: str, userland_proxy: bool) -> str:
    if not userland_proxy:
        return "fib daddr type local jump port-dnat"
    loopback = "127.0.0.0/8" if fam == "ip" else "::1"
    return f"{fam} daddr != {loopback} fib daddr type local jump port-dnat"


def _chain_text(name: str, lines: list[str]) -> str:
    inner = "".join(f"\t\t{line}\n" for line in lines)
    return f"\tchain {name} {{\n{inner}\t}}\n"


def _add_bridge(chains: dict[str, list[str]], fam: str, net: BridgeNet, proxy: bool) -> None:
    br = f'"{net.name}"'
    subnet = str(ipaddress.ip_network(net.subnet))
    icc = f"iifname {br} oifname {br} {'accept' if net.icc else 'drop'}"
    if net.internal:
        chains["isolation-stage-1"] += [
            f"iifname {br} {fam} daddr != {subnet} drop",
            f"oifname {br} {fam} saddr != {subnet} drop",
        ]
        chains["forward"].append(icc)
        return
    if net.masquerade:
        chains["postrouting"].append(f"{fam} saddr {subnet} oifname != {br} masquerade")
    if not proxy:
        chains["postrouting"].append(f"oifname {br} fib saddr type local masquerade")
    chains["port-dnat"].insert(0, f"iifname {br} return")
    chains["forward"] += [
        f"oifname {br} ct state related,established accept",
        f"oifname {br} jump published",
        f"iifname {br} oifname != {br} accept",
        icc,
    ]
    chains["isolation-stage-1"].append(f"iifname {br} oifname != {br} jump isolation-stage-2")
    chains["isolation-stage-2"].append(f"oifname {br} drop")


def _add_port(chains: dict[str, list[str]], fam: str, port: PublishedPort) -> None:
    published_port_rules(port)  # the same validation as the iptables backend
    br = f'"{port.bridge}"'
    cip = ipaddress.ip_address(port.container_ip)
    proto = port.proto
    host = ipaddress.ip_address(port.host_ip) if port.host_ip else None
    dest = f"{fam} daddr {host} " if host is not None and not host.is_unspecified else ""
    target = f"{cip}:{port.container_port}" if fam == "ip" else f"[{cip}]:{port.container_port}"
    chains["port-dnat"].append(
        f"{dest}iifname != {br} {proto} dport {port.host_port} dnat to {target}")
    chains["published"].append(
        f"{fam} daddr {cip} iifname != {br} oifname {br} {proto} dport {port.container_port} accept"
    )
    chains["postrouting"].append(
        f"{fam} saddr {cip} {fam} daddr {cip} {proto} dport {port.container_port} masquerade"
    )


PER_BRIDGE_CHAINS = ("postrouting", "port-dnat", "forward", "published", "isolation-stage-1",
                     "isolation-stage-2")


def bridge_lines(family: int, net: BridgeNet, userland_proxy: bool = True) -> dict[str, list[str]]:
    """One bridge's rules, by chain, for adding one at a time (``firewall_nft_live``); the
    ``port-dnat`` chain's line goes before the DNATs (``insert``)."""
    bridge_rules(net)  # validation
    chains: dict[str, list[str]] = {name: [] for name in PER_BRIDGE_CHAINS}
    _add_bridge(chains, _table_family(family), net, userland_proxy)
    return chains


def port_lines(family: int, port: PublishedPort) -> dict[str, list[str]]:
    chains: dict[str, list[str]] = {name: [] for name in PER_BRIDGE_CHAINS}
    _add_port(chains, _table_family(family), port)
    return chains


def base_chain_text(family: int, userland_proxy: bool = True) -> tuple[str, dict[str, str]]:
    """``add`` commands for wharf's table and chains (idempotent), and the jump each hooked
    chain must hold (added once, by whoever finds it missing)."""
    fam = _table_family(family)
    hooks = {
        "prerouting": "type nat hook prerouting priority dstnat; policy accept;",
        "output": "type nat hook output priority -100; policy accept;",
        "postrouting": "type nat hook postrouting priority srcnat; policy accept;",
        "forward": "type filter hook forward priority filter; policy accept;",
    }
    text = f"add table {fam} wharf\n"
    text += "".join(f"add chain {fam} wharf {name} {{ {spec} }}\n" for name, spec in hooks.items())
    plain = ("port-dnat", "published", "isolation-stage-1", "isolation-stage-2")
    text += "".join(f"add chain {fam} wharf {name}\n" for name in plain)
    jumps = {"prerouting": "fib daddr type local jump port-dnat",
             "output": _output_jump(fam, userland_proxy),
             "forward": "jump isolation-stage-1"}
    return text, jumps
