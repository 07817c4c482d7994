"""``POST /networks/create``: a request checked as dockerd checks it, made into a record.

Order of the checks, as in moby's ``createNetwork``: predefined name, driver, what wharf does
not implement (swarm scope, ingress, config-only networks, other IPAM drivers), duplicate name,
driver options, IPAM config (``network.ipam``: every fault at once), overlap with the other
networks, then a subnet from the address pools for each IP version not given (avoiding the
host's on-link routes and resolvers)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from wharf.core.errors import Conflict, Forbidden, InvalidParameter, NotFound
from wharf.core.metadata import NetworkRecord
from wharf.core.timefmt import rfc3339_nano
from wharf.network.ipam import (
    IpamEntry,
    IPNetwork,
    RawIpamEntry,
    check_no_overlap,
    parse_ipam_config,
)
from wharf.network.ipam_alloc import SubnetAddresses
from wharf.network.pools import AddressPool, allocate_subnet
from wharf.services.engine_types import IPAM, NetworkCreateRequest
from wharf.services.networks_config import (
    ENABLE_IPV4,
    ENABLE_IPV6,
    PREDEFINED,
    entry_config,
    ipam_object,
    new_network_id,
)
from wharf.services.networks_options import go_bool, parse_bridge_options

SWARM_ONLY = ('This node is not a swarm manager. Use "docker swarm init" or "docker swarm '
              'join" to connect this node to swarm and try again.')
BUILTIN_NOT_HERE = ("macvlan", "ipvlan")


@dataclass(frozen=True)
class CreateContext:
    existing: Sequence[NetworkRecord]
    pools: Sequence[AddressPool]
    reserved: Callable[[int], list[IPNetwork]]  # the host's prefixes, by IP version
    interface_exists: Callable[[str], bool]


def network_subnets(record: NetworkRecord) -> list[IPNetwork]:
    subnets: list[IPNetwork] = []
    for config in (record.ipam or {}).get("Config") or []:
        subnets.append(ipaddress.ip_network(str(config["Subnet"]), strict=False))
    return subnets


def record_entries(record: NetworkRecord) -> list[IpamEntry]:
    """The checked subnets of a stored network."""
    raws = [RawIpamEntry(str(c.get("Subnet") or ""), str(c.get("IPRange") or ""),
                         str(c.get("Gateway") or ""), dict(c.get("AuxiliaryAddresses") or {}))
            for c in (record.ipam or {}).get("Config") or []]
    return parse_ipam_config(raws, enable_ipv6=True)


def _check_name(name: str) -> None:
    if name in PREDEFINED:
        raise Forbidden(f"operation is not permitted on predefined {name} network ")
    if not name:
        raise InvalidParameter("invalid name: ")


def _check_driver(driver: str) -> None:
    if driver == "bridge":
        return
    if driver in ("host", "null"):
        raise Forbidden(f'only one instance of "{driver}" network is allowed')
    if driver == "overlay":
        raise Forbidden(SWARM_ONLY)
    if driver in BUILTIN_NOT_HERE:
        raise InvalidParameter(f'network driver "{driver}" is not supported by wharf')
    raise NotFound(f'plugin "{driver}" not found')


def _check_unsupported(body: NetworkCreateRequest) -> None:
    if body.scope not in (None, "", "local"):
        raise InvalidParameter(f'network scope "{body.scope}" is not supported by wharf '
                               "(no swarm): use local")
    if body.ingress:
        raise InvalidParameter("ingress networks are not supported by wharf (no swarm)")
    if body.config_only or (body.config_from and body.config_from.network):
        raise InvalidParameter("config-only networks (--config-only, --config-from) are not "
                               "supported by wharf")
    if body.enable_ipv4 is False or (body.options or {}).get(ENABLE_IPV4) in ("0", "false"):
        raise InvalidParameter("disabling IPv4 on a network is not supported by wharf")
    ipam = body.ipam or IPAM()
    if ipam.driver not in (None, "", "default"):
        raise NotFound(f'plugin "{ipam.driver}" not found')
    if ipam.options:
        raise InvalidParameter("IPAM driver options are not supported by wharf")


def _ipv6_enabled(body: NetworkCreateRequest, options: dict[str, str]) -> bool:
    """The body's EnableIPv6 wins (and the option is dropped), else the option, as moby."""
    if body.enable_ipv6 is not None:
        options.pop(ENABLE_IPV6, None)
        return body.enable_ipv6
    if ENABLE_IPV6 in options:
        try:
            return go_bool(ENABLE_IPV6, options[ENABLE_IPV6])
        except InvalidParameter:
            raise InvalidParameter(f'driver-opt "{ENABLE_IPV6}" is not a valid bool') from None
    return False


def _user_entries(ipam: IPAM, enable_ipv6: bool) -> list[IpamEntry]:
    raws = [RawIpamEntry(c.subnet or "", c.ip_range or "", c.gateway or "",
                         dict(c.auxiliary_addresses or {})) for c in ipam.config or []]
    entries = parse_ipam_config(raws, enable_ipv6=enable_ipv6)
    for version in (4, 6):
        if sum(1 for e in entries if e.version == version) > 1:
            raise InvalidParameter("bridge driver doesn't support multiple subnets")
    return entries


def _pool_entry(version: int, in_use: list[IPNetwork], ctx: CreateContext) -> dict[str, Any]:
    subnet = allocate_subnet(ctx.pools, [*in_use, *ctx.reserved(version)], version=version)
    gateway = SubnetAddresses(IpamEntry(subnet)).gateway
    return {"Subnet": str(subnet), "Gateway": str(gateway)}


def _plan_subnets(body: NetworkCreateRequest, enable_ipv6: bool, ctx: CreateContext
                  ) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """The IPAM Config entries to show and the subnets taken from the pools."""
    entries = _user_entries(body.ipam or IPAM(), enable_ipv6)
    in_use = [net for record in ctx.existing for net in network_subnets(record)]
    for entry in entries:
        try:
            check_no_overlap(entry.subnet, in_use)
        except Forbidden as exc:
            raise Forbidden(f"invalid pool request: {exc}") from None
    configs = [entry_config(entry, with_gateway=True) for entry in entries]
    pooled: list[str] = []
    wanted = (4, 6) if enable_ipv6 else (4,)
    for version in wanted:
        if not any(entry.version == version for entry in entries):
            config = _pool_entry(version, in_use, ctx)
            configs.insert(0 if version == 4 else len(configs), config)
            pooled.append(config["Subnet"])
    return configs, tuple(pooled)


def _check_bridge(bridge: str, network_id: str, given: bool, ctx: CreateContext) -> None:
    for other in ctx.existing:
        if other.bridge == bridge:
            raise Forbidden(f"cannot create network {network_id} ({bridge}): conflicts with "
                            f"network {other.id} ({bridge}): networks have same bridge name")
    if given and ctx.interface_exists(bridge):
        raise Forbidden(f"cannot create network {network_id} ({bridge}): the interface "
                        f"{bridge} exists and is not one of wharf's bridges")


def build_network(body: NetworkCreateRequest, ctx: CreateContext) -> NetworkRecord:
    """The record of a new network, or Docker's error for the request."""
    name = body.name or ""
    _check_name(name)
    driver = body.driver or "bridge"
    _check_driver(driver)
    _check_unsupported(body)
    if any(record.name == name for record in ctx.existing):
        raise Conflict(f"network with name {name} already exists")
    options = dict(body.options or {})
    enable_ipv6 = _ipv6_enabled(body, options)
    bridge_options = parse_bridge_options(options)
    configs, pooled = _plan_subnets(body, enable_ipv6, ctx)
    network_id = new_network_id()
    bridge = bridge_options.name or f"wbr-{network_id[:11]}"
    _check_bridge(bridge, network_id, bool(bridge_options.name), ctx)
    ipam_options = (body.ipam.options if body.ipam is not None else None)
    return NetworkRecord(
        id=network_id, name=name, driver=driver, created=rfc3339_nano(),
        internal=bool(body.internal), attachable=bool(body.attachable),
        enable_ipv6=enable_ipv6, ipam=ipam_object(configs, ipam_options or {}),
        options=options, labels=dict(body.labels or {}), bridge=bridge, pool_subnets=pooled)

