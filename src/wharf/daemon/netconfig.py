"""wharfd's networking options: dockerd's keys (``bridge``, ``bip``, ``fixed-cidr``,
``default-address-pools``, ``ipv6``, ``fixed-cidr-v6``, ``iptables``, ``ip6tables``,
``ip-forward``, ``ip-masq``, ``icc``, ``userland-proxy``, ``dns``, ``dns-search``,
``dns-opts``, ``mtu``) and wharf's own ``publish-respects-firewall`` and ``firewall-backend``.
Each is a daemon.json key and a ``wharfd`` flag of the same name."""

from __future__ import annotations

import argparse
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_BRIDGE = "wharf0"

# daemon.json key → argparse dest (the flag is ``--<key>``)
NETWORK_KEYS: dict[str, str] = {
    "bridge": "bridge", "bip": "bip", "fixed-cidr": "fixed_cidr",
    "default-address-pools": "default_address_pools", "ipv6": "ipv6",
    "fixed-cidr-v6": "fixed_cidr_v6", "iptables": "iptables", "ip6tables": "ip6tables",
    "ip-forward": "ip_forward", "ip-masq": "ip_masq", "icc": "icc",
    "userland-proxy": "userland_proxy", "publish-respects-firewall": "publish_respects_firewall",
    "firewall-backend": "firewall_backend", "dns": "dns", "dns-search": "dns_search",
    "dns-opts": "dns_opts", "mtu": "mtu",
}


class NetworkConfigError(ValueError):
    pass


@dataclass(frozen=True)
class NetworkOptions:
    bridge: str = DEFAULT_BRIDGE  # the default network's bridge; "none": no default bridge
    bip: str = ""  # the bridge's address/prefix; "" = 172.28.0.1/16 (network.pools)
    fixed_cidr: str = ""
    default_address_pools: tuple[dict[str, Any], ...] = ()
    ipv6: bool = False  # the default bridge gets fixed_cidr_v6
    fixed_cidr_v6: str = ""
    iptables: bool = True
    ip6tables: bool = True
    ip_forward: bool = True
    ip_masq: bool = True
    icc: bool = True
    userland_proxy: bool = True
    publish_respects_firewall: bool = False  # publish through the proxy only (INPUT applies)
    firewall_backend: str = ""  # "" (detect), "iptables" or "nftables"
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_opts: tuple[str, ...] = ()
    mtu: int = 0  # 0: the kernel's default (1500)


def add_network_flags(parser: argparse.ArgumentParser,
                      bool_flag: Callable[[argparse.ArgumentParser, str, str], None]) -> None:
    parser.add_argument("--bridge", "-b", dest="bridge", help="the default network's bridge")
    parser.add_argument("--bip", dest="bip", help="the default bridge's IP and prefix")
    parser.add_argument("--fixed-cidr", dest="fixed_cidr")
    parser.add_argument("--fixed-cidr-v6", dest="fixed_cidr_v6")
    parser.add_argument("--default-address-pool", dest="default_address_pools",
                        action="append", help="base=CIDR,size=N")
    for name, text in (
        ("--ipv6", "IPv6 on the default bridge"), ("--iptables", "add firewall rules"),
        ("--ip6tables", "add IPv6 firewall rules"), ("--ip-forward", "enable IP forwarding"),
        ("--ip-masq", "masquerade outbound traffic"), ("--icc", "inter-container traffic"),
        ("--userland-proxy", "a userland proxy for loopback"),
        ("--publish-respects-firewall", "publish ports through the proxy only"),
    ):
        bool_flag(parser, name, text)
    parser.add_argument("--firewall-backend", dest="firewall_backend",
                        choices=["iptables", "nftables"])
    parser.add_argument("--dns", dest="dns", action="append")
    parser.add_argument("--dns-search", dest="dns_search", action="append")
    parser.add_argument("--dns-opt", dest="dns_opts", action="append")
    parser.add_argument("--mtu", dest="mtu", type=int)


def _pool(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return dict(value)
    pool: dict[str, Any] = {}
    for part in str(value).split(","):
        key, sep, text = part.partition("=")
        if not sep or key not in ("base", "size"):
            raise NetworkConfigError(f"invalid default-address-pool {value!r}")
        pool[key] = int(text) if key == "size" else text
    return pool


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _cidr(value: Any, key: str) -> str:
    text = str(value or "")
    if text:
        try:
            ipaddress.ip_interface(text)
        except ValueError:
            raise NetworkConfigError(f"invalid {key}: {text!r}") from None
    return text


def _check_bool(merged: dict[str, Any], dest: str) -> None:
    if dest in merged and not isinstance(merged[dest], bool):
        raise NetworkConfigError(f"invalid {dest.replace('_', '-')}: {merged[dest]!r}")


def network_options(merged: dict[str, Any]) -> NetworkOptions:
    """The options from flags and daemon.json merged (argparse dests as keys)."""
    for dest in ("ipv6", "iptables", "ip6tables", "ip_forward", "ip_masq", "icc",
                 "userland_proxy", "publish_respects_firewall"):
        _check_bool(merged, dest)
    defaults = NetworkOptions()
    mtu = merged.get("mtu", 0)
    if not isinstance(mtu, int) or isinstance(mtu, bool) or not (mtu == 0 or 68 <= mtu <= 65535):
        raise NetworkConfigError(f"invalid mtu: {mtu!r}")
    bridge = str(merged.get("bridge") or DEFAULT_BRIDGE)
    if len(bridge) > 15 or "/" in bridge or " " in bridge:
        raise NetworkConfigError(f"invalid bridge name: {bridge!r}")
    return NetworkOptions(
        bridge=bridge,
        bip=_cidr(merged.get("bip"), "bip"),
        fixed_cidr=_cidr(merged.get("fixed_cidr"), "fixed-cidr"),
        default_address_pools=tuple(_pool(p) for p in merged.get("default_address_pools") or ()),
        ipv6=merged.get("ipv6", defaults.ipv6),
        fixed_cidr_v6=_cidr(merged.get("fixed_cidr_v6"), "fixed-cidr-v6"),
        iptables=merged.get("iptables", defaults.iptables),
        ip6tables=merged.get("ip6tables", defaults.ip6tables),
        ip_forward=merged.get("ip_forward", defaults.ip_forward),
        ip_masq=merged.get("ip_masq", defaults.ip_masq),
        icc=merged.get("icc", defaults.icc),
        userland_proxy=merged.get("userland_proxy", defaults.userland_proxy),
        publish_respects_firewall=merged.get("publish_respects_firewall",
                                             defaults.publish_respects_firewall),
        firewall_backend=str(merged.get("firewall_backend") or ""),
        dns=_strings(merged.get("dns")),
        dns_search=_strings(merged.get("dns_search")),
        dns_opts=_strings(merged.get("dns_opts")),
        mtu=mtu,
    )
