"""Containers' endpoints on networks: addresses (``network.ipam_alloc``), MAC, aliases, the
Docker ``EndpointSettings`` a container's inspect shows, and the ``EndpointSpec`` the driver
makes. Held in memory only: a stopped container holds no address (as Docker frees it), and
the daemon rebuilds the running ones' at start from their records (``restore``)."""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wharf.core.errors import Forbidden, InvalidParameter
from wharf.core.metadata import NetworkRecord
from wharf.core.netspec import EndpointSpec
from wharf.network.ipam import IPAddress
from wharf.network.ipam_alloc import NetworkAddresses, mac_from_ipv4
from wharf.network.ipam_endpoint import NetworkSubnet, check_requested_addresses
from wharf.services.engine_types import EndpointSettings
from wharf.services.networks_config import PREDEFINED
from wharf.services.networks_options import record_bridge_options

PREDEFINED_AND_IP = "user specified IP address is supported on user defined networks only"
_MAC = re.compile(r"^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$")


@dataclass
class EndpointRecord:
    """A container's endpoint on one network."""

    container_id: str
    network_id: str
    network_name: str
    container_name: str
    settings: dict[str, Any]  # Docker's EndpointSettings (NetworkSettings.Networks[name])
    spec: EndpointSpec  # on host and null networks: no bridge, no address (no veth to make)
    addresses: list[IPAddress] = field(default_factory=list)

    @property
    def endpoint_id(self) -> str:
        return str(self.settings.get("EndpointID") or "")

    def resource(self) -> dict[str, str]:
        """The network inspect's ``Containers`` entry."""
        ipv4 = self.settings.get("IPAddress") or ""
        ipv6 = self.settings.get("GlobalIPv6Address") or ""
        return {
            "Name": self.container_name, "EndpointID": self.endpoint_id,
            "MacAddress": str(self.settings.get("MacAddress") or ""),
            "IPv4Address": f"{ipv4}/{self.settings.get('IPPrefixLen')}" if ipv4 else "",
            "IPv6Address": (f"{ipv6}/{self.settings.get('GlobalIPv6PrefixLen')}"
                            if ipv6 else ""),
        }


@dataclass(frozen=True)
class JoinRequest:
    container_id: str
    container_name: str
    hostname: str
    config: EndpointSettings
    ifname: str


def host_ifname(endpoint_id: str) -> str:
    """The host side of the veth: ``wv`` + 10 hex of the endpoint id (the same after a
    daemon restart, where the endpoint is rebuilt from the container's record)."""
    return "wv" + endpoint_id[:10]


def _subnets(record: NetworkRecord, addresses: NetworkAddresses) -> list[NetworkSubnet]:
    return [NetworkSubnet(s.entry.subnet, str(s.entry.subnet) not in record.pool_subnets)
            for s in addresses.subnets]


def _requested(record: NetworkRecord, addresses: NetworkAddresses, config: EndpointSettings
               ) -> tuple[IPAddress | None, IPAddress | None]:
    ipam = config.ipam_config
    v4, v6 = (ipam.ipv4_address or "", ipam.ipv6_address or "") if ipam else ("", "")
    if not (v4 or v6):
        return None, None
    if record.name in PREDEFINED:
        raise InvalidParameter(PREDEFINED_AND_IP)
    asked = check_requested_addresses(record.name, v4, v6, _subnets(record, addresses))
    return asked.ipv4, asked.ipv6


def _mac(config: EndpointSettings, ipv4: IPAddress | None) -> str:
    if config.mac_address:
        if not _MAC.match(config.mac_address):
            raise InvalidParameter(f"invalid MAC address: {config.mac_address}")
        return config.mac_address.lower().replace("-", ":")
    if isinstance(ipv4, ipaddress.IPv4Address):
        return mac_from_ipv4(ipv4)
    return "02:42:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(4))


def _dns_names(record: NetworkRecord, request: JoinRequest) -> list[str] | None:
    """Docker's DNSNames (user-defined networks only): name, aliases, short id, hostname."""
    if request.config.dns_names:
        return list(request.config.dns_names)
    if record.name in PREDEFINED:
        return None
    names = [request.container_name, *(request.config.aliases or []),
             request.container_id[:12], request.hostname]
    return list(dict.fromkeys(name for name in names if name))


def _allocate(record: NetworkRecord, addresses: NetworkAddresses, config: EndpointSettings
              ) -> list[IPAddress]:
    want4, want6 = _requested(record, addresses, config)
    versions = {s.entry.version for s in addresses.subnets}
    got: list[IPAddress] = []
    try:
        if 4 in versions:
            got.append(addresses.allocate(4, want4))
        if 6 in versions and record.enable_ipv6:
            got.append(addresses.allocate(6, want6))
    except Exception:
        for address in got:
            addresses.release(address)
        raise
    return got


def _prefix(addresses: NetworkAddresses, address: IPAddress) -> int:
    return next(s.entry.subnet.prefixlen for s in addresses.subnets
                if address in s.entry.subnet)


def _gateway(addresses: NetworkAddresses, version: int) -> str:
    return next((str(s.gateway) for s in addresses.subnets if s.entry.version == version), "")


def settings_for(record: NetworkRecord, addresses: NetworkAddresses | None,
                 request: JoinRequest, got: list[IPAddress], endpoint_id: str
                 ) -> dict[str, Any]:
    config = request.config
    v4 = next((a for a in got if a.version == 4), None)
    v6 = next((a for a in got if a.version == 6), None)
    ipam = config.ipam_config
    return {
        "IPAMConfig": ({k: v for k, v in (("IPv4Address", ipam.ipv4_address),
                                          ("IPv6Address", ipam.ipv6_address)) if v}
                       if ipam and (ipam.ipv4_address or ipam.ipv6_address) else None),
        "Links": list(config.links) if config.links else None,
        "Aliases": list(config.aliases) if config.aliases else None,
        "MacAddress": _mac(config, v4) if addresses is not None else "",
        "DriverOpts": dict(config.driver_opts) if config.driver_opts else None,
        "NetworkID": record.id, "EndpointID": endpoint_id,
        "Gateway": _gateway(addresses, 4) if addresses and v4 else "",
        "IPAddress": str(v4 or ""),
        "IPPrefixLen": _prefix(addresses, v4) if addresses and v4 else 0,
        "IPv6Gateway": _gateway(addresses, 6) if addresses and v6 else "",
        "GlobalIPv6Address": str(v6 or ""),
        "GlobalIPv6PrefixLen": _prefix(addresses, v6) if addresses and v6 else 0,
        "DNSNames": _dns_names(record, request),
    }


def spec_for(record: NetworkRecord, settings: Mapping[str, Any], ifname: str) -> EndpointSpec:
    """The driver's veth for a bridge endpoint (an empty one, ``bridge=""``, elsewhere)."""
    if record.driver != "bridge":
        return EndpointSpec(bridge="", ifname=ifname, host_ifname="", mac="", addresses=())
    cidrs = [f"{settings[a]}/{settings[p]}" for a, p in
             (("IPAddress", "IPPrefixLen"), ("GlobalIPv6Address", "GlobalIPv6PrefixLen"))
             if settings.get(a)]
    gateways = () if record.internal else tuple(
        str(settings[g]) for g in ("Gateway", "IPv6Gateway") if settings.get(g))
    return EndpointSpec(bridge=record.bridge, ifname=ifname,
                        host_ifname=host_ifname(str(settings["EndpointID"])),
                        mac=str(settings.get("MacAddress") or ""), addresses=tuple(cidrs),
                        gateways=gateways, mtu=record_bridge_options(record.options).mtu)


def new_endpoint(record: NetworkRecord, addresses: NetworkAddresses | None,
                 request: JoinRequest) -> EndpointRecord:
    """Allocate and describe an endpoint (addresses freed again if anything fails)."""
    got = _allocate(record, addresses, request.config) if addresses is not None else []
    try:
        settings = settings_for(record, addresses, request, got, secrets.token_hex(32))
    except Exception:
        for address in got:
            addresses.release(address) if addresses is not None else None
        raise
    spec = spec_for(record, settings, request.ifname)
    return EndpointRecord(request.container_id, record.id, record.name,
                          request.container_name, settings, spec, got)


def restored_endpoint(record: NetworkRecord, addresses: NetworkAddresses | None,
                      container_id: str, container_name: str, settings: Mapping[str, Any],
                      ifname: str) -> EndpointRecord:
    """The endpoint of a running container, taken back from its record at daemon start."""
    got: list[IPAddress] = []
    if addresses is not None:
        for key in ("IPAddress", "GlobalIPv6Address"):
            if settings.get(key):
                address = ipaddress.ip_address(str(settings[key]))
                try:
                    got.append(addresses.allocate(address.version, address))
                except Forbidden:
                    raise Forbidden(f"cannot restore the endpoint of container {container_id} "
                                    f"on network {record.name}: {address} is taken") from None
    spec = spec_for(record, settings, ifname)
    return EndpointRecord(container_id, record.id, record.name, container_name,
                          dict(settings), spec, got)
