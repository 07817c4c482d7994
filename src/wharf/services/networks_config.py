"""What the network service needs to know of the daemon's options, Docker's driver options
for bridges, and the predefined networks (``bridge``, ``host``, ``none``) built from them.

``NetworkDefaults`` mirrors ``daemon.netconfig.NetworkOptions`` (services do not import the
daemon): ``daemon.wiring`` copies one into the other."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wharf.core.metadata import NetworkRecord
from wharf.core.timefmt import rfc3339_nano
from wharf.network.ipam import IpamEntry
from wharf.network.pools import (
    WHARF_DEFAULT_POOLS,
    AddressPool,
    default_bridge_entry,
    parse_address_pools,
)

PREDEFINED = ("bridge", "host", "none", "default")  # moby's network.IsPredefined
BRIDGE_NAME = "com.docker.network.bridge.name"
ENABLE_ICC = "com.docker.network.bridge.enable_icc"
ENABLE_MASQUERADE = "com.docker.network.bridge.enable_ip_masquerade"
DRIVER_MTU = "com.docker.network.driver.mtu"
DEFAULT_BRIDGE = "com.docker.network.bridge.default_bridge"
HOST_BINDING_IPV4 = "com.docker.network.bridge.host_binding_ipv4"
ENABLE_IPV6 = "com.docker.network.enable_ipv6"
ENABLE_IPV4 = "com.docker.network.enable_ipv4"
DEFAULT_MTU = 1500


@dataclass(frozen=True)
class NetworkDefaults:
    """The daemon's networking options the service uses (dockerd's names)."""

    bridge: str = "wharf0"  # "none": no default bridge network
    bip: str = ""
    fixed_cidr: str = ""
    default_address_pools: tuple[Mapping[str, Any], ...] = ()
    ipv6: bool = False
    fixed_cidr_v6: str = ""
    icc: bool = True
    ip_masq: bool = True
    mtu: int = 0

    def pools(self) -> tuple[AddressPool, ...]:
        if not self.default_address_pools:
            return WHARF_DEFAULT_POOLS
        return parse_address_pools(self.default_address_pools)


def new_network_id() -> str:
    """64 hex digits whose short form is not all digits (moby's stringid rule: a short id
    must not read as a number)."""
    while True:
        candidate = secrets.token_hex(32)
        if not candidate[:12].isdigit():
            return candidate


def entry_config(entry: IpamEntry, *, with_gateway: bool) -> dict[str, Any]:
    """One ``IPAM.Config`` item as Docker shows it."""
    shown: dict[str, Any] = {"Subnet": str(entry.subnet)}
    if entry.ip_range is not None:
        shown["IPRange"] = str(entry.ip_range)
    if entry.gateway is not None and with_gateway:
        shown["Gateway"] = str(entry.gateway)
    if entry.aux_addresses:
        shown["AuxiliaryAddresses"] = {k: str(v) for k, v in entry.aux_addresses.items()}
    return shown


def ipam_object(configs: Sequence[dict[str, Any]] | None,
                options: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {"Driver": "default", "Options": None if options is None else dict(options),
            "Config": list(configs) if configs is not None else None}


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


def default_bridge_record(defaults: NetworkDefaults, existing: NetworkRecord | None
                          ) -> NetworkRecord:
    """The ``bridge`` network as the options say now (its id and creation time kept)."""
    entry = default_bridge_entry(defaults.bip, defaults.fixed_cidr)
    configs = [entry_config(entry, with_gateway=True)]
    if defaults.ipv6 and defaults.fixed_cidr_v6:
        v6 = ipaddress.ip_network(defaults.fixed_cidr_v6, strict=False)
        configs.append({"Subnet": str(v6)})
    options = {
        DEFAULT_BRIDGE: "true", ENABLE_ICC: _bool_text(defaults.icc),
        ENABLE_MASQUERADE: _bool_text(defaults.ip_masq), HOST_BINDING_IPV4: "0.0.0.0",
        BRIDGE_NAME: defaults.bridge, DRIVER_MTU: str(defaults.mtu or DEFAULT_MTU),
    }
    return NetworkRecord(
        id=existing.id if existing else new_network_id(), name="bridge", driver="bridge",
        created=existing.created if existing else rfc3339_nano(),
        enable_ipv6=bool(defaults.ipv6 and defaults.fixed_cidr_v6),
        ipam=ipam_object(configs), options=options, bridge=defaults.bridge,
    )


def plain_record(name: str, driver: str, existing: NetworkRecord | None) -> NetworkRecord:
    """``host`` (driver host) or ``none`` (driver null): no addresses, no bridge."""
    if existing is not None:
        return existing
    return NetworkRecord(id=new_network_id(), name=name, driver=driver, created=rfc3339_nano(),
                         ipam=ipam_object(None))
