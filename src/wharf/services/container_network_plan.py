"""Which networks a container joins, decided at create as dockerd decides it: the network of
``NetworkMode`` first (eth0, the default route; ``default`` is ``bridge``), then the other
``EndpointsConfig`` entries. The record keeps them as ``EndpointsConfig`` under the networks'
names (with their ids), so connect/disconnect of a stopped container edit that list."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from wharf.core.errors import Conflict, InvalidParameter, NotFound
from wharf.services.container_network_ports import check_bindings, split_port_key
from wharf.services.container_network_types import DEFAULT_NETWORK, NetworksPort

HOST, NONE, CONTAINER, BRIDGE = "host", "none", "container", "bridge"
_ENDPOINT_FIELDS = ("IPAMConfig", "Links", "Aliases", "MacAddress", "DriverOpts", "NetworkID",
                    "EndpointID", "Gateway", "IPAddress", "IPPrefixLen", "IPv6Gateway",
                    "GlobalIPv6Address", "GlobalIPv6PrefixLen", "DNSNames")
_IGNORED_AT_CREATE = ("EndpointID", "Gateway", "IPAddress", "IPPrefixLen", "IPv6Gateway",
                      "GlobalIPv6Address", "GlobalIPv6PrefixLen", "DNSNames", "NetworkID")


def mode_of(host_config: dict[str, Any]) -> str:
    mode = str(host_config.get("NetworkMode") or "")
    return DEFAULT_NETWORK if mode in ("", "default") else mode


def kind_of(mode: str) -> str:
    if mode in (HOST, NONE):
        return mode
    if mode.startswith("container:"):
        return CONTAINER
    return BRIDGE


def plan_endpoints(networks: NetworksPort, host_config: dict[str, Any],
                   networking_config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The canonical ``EndpointsConfig`` (network name → asked settings + NetworkID), the
    primary network first; 404 "network X not found" for an unknown one."""
    mode = mode_of(host_config)
    kind = kind_of(mode)
    asked: dict[str, Any] = dict(networking_config.get("EndpointsConfig") or {})
    if kind == CONTAINER:
        asked.pop(mode, None)
        if asked:
            raise InvalidParameter("conflicting options: container type network can't be "
                                   "used with other networks")
        return {}
    primary = asked.pop(mode, None)
    if primary is None and mode == DEFAULT_NETWORK:
        primary = asked.pop("default", None)
    ordered = [(mode, dict(primary or {}))]
    if kind in (HOST, NONE) and asked:
        raise InvalidParameter(
            "container sharing network namespace with another container or host cannot be "
            "connected to any other network" if kind == HOST else "container cannot be "
            "connected to multiple networks with one of the networks in private (none) mode")
    ordered += [(name, dict(settings or {})) for name, settings in asked.items()]
    plan: dict[str, dict[str, Any]] = {}
    for ref, settings in ordered:
        ref = DEFAULT_NETWORK if ref == "default" else ref
        try:  # an unknown network fails the start, as in dockerd (a 404 here would make
            network = networks.resolve(ref)  # the docker CLI pull the image)
            name, found = network.name, {"NetworkID": network.id}
        except NotFound:
            name, found = ref, {}
        if name in plan:
            raise Conflict(f"endpoint with name already exists in network {name}")
        check_endpoint_config(name, settings)
        kept = {k: v for k, v in settings.items()
                if k in _ENDPOINT_FIELDS and k not in _IGNORED_AT_CREATE and v}
        plan[name] = {**kept, **found}
    return plan


def resolve(networks: NetworksPort, ref: str) -> Any:
    try:
        return networks.resolve(ref)
    except NotFound:
        raise NotFound(f"network {ref} not found") from None


def check_endpoint_config(network_name: str, settings: dict[str, Any]) -> None:
    """dockerd's checks of one endpoint's settings (``validateEndpointSettings``). Aliases on
    a network without DNS (the default bridge) are kept and do nothing: Compose and
    testcontainers send them."""
    ipam = settings.get("IPAMConfig") or {}
    if ipam.get("LinkLocalIPs"):
        raise InvalidParameter("--link-local-ip is not supported yet")
    if settings.get("DriverOpts"):
        raise InvalidParameter("--network driver options (driver-opt) are not supported yet")
    user_defined = network_name not in (DEFAULT_NETWORK, HOST, NONE)
    for key, version in (("IPv4Address", 4), ("IPv6Address", 6)):
        address = ipam.get(key)
        if not address:
            continue
        if not user_defined:
            raise InvalidParameter("user specified IP address is supported on user defined "
                                   "networks only")
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            raise InvalidParameter(f"invalid IPv{version} address: {address}") from None
        if parsed.version != version:
            raise InvalidParameter(f"invalid IPv{version} address: {address}")
    mac = settings.get("MacAddress")
    if mac and not _mac_ok(str(mac)):
        raise InvalidParameter(f"invalid MAC address: {mac}")


def _mac_ok(text: str) -> bool:
    parts = text.split(":")
    return len(parts) == 6 and all(len(p) == 2 and all(c in "0123456789abcdefABCDEF" for c in p)
                                   for p in parts)


def check_conflicts(config: dict[str, Any], host_config: dict[str, Any]) -> list[str]:
    """dockerd's checks of the network mode against the other settings (its messages);
    returns the warnings (host mode discards published ports, as dockerd does)."""
    mode = mode_of(host_config)
    kind = kind_of(mode)
    if kind == CONTAINER:
        _container_mode_conflicts(config, host_config)
    if kind in (HOST, CONTAINER) and config.get("MacAddress"):
        raise InvalidParameter("conflicting options: mac-address and the network mode")
    if kind == HOST and host_config.get("Links"):
        raise InvalidParameter("conflicting options: host type networking can't be used with "
                               "links. This would result in undefined behavior")
    if kind == HOST and (host_config.get("PortBindings") or host_config.get("PublishAllPorts")):
        host_config["PortBindings"] = {}
        host_config["PublishAllPorts"] = False
        return ["Published ports are discarded when using host network mode"]
    return []


def _container_mode_conflicts(config: dict[str, Any], host_config: dict[str, Any]) -> None:
    if not mode_of(host_config).partition(":")[2]:
        raise InvalidParameter("Invalid network mode: invalid container format "
                               "container:<name|id>")
    for present, what in (
        (config.get("Hostname"), "hostname and the network mode"),
        (host_config.get("Links"), "container type network can't be used with links. This "
                                   "would result in undefined behavior"),
        (host_config.get("Dns"), "dns and the network mode"),
        (host_config.get("ExtraHosts"), "custom host-to-IP mapping and the network mode"),
        (host_config.get("PortBindings") or host_config.get("PublishAllPorts"),
         "port publishing and the container type network mode"),
        (config.get("ExposedPorts"), "port exposing and the container type network mode"),
    ):
        if present:
            raise InvalidParameter(f"conflicting options: {what}")


def check_link_targets(lookup: Callable[[str], Any], links: list[str]) -> None:
    """dockerd's registerLinks: a link to a container that does not exist is a 400 (a 404
    would make the docker CLI pull the image)."""
    for link in links:
        name = str(link).partition(":")[0].lstrip("/")
        try:
            lookup(name)
        except NotFound as err:
            raise InvalidParameter(f"could not get container for {name}: {err.message}") from None


def networking_at_create(networks: NetworksPort | None, lookup: Callable[[str], Any],
                         config: dict[str, Any], host_config: dict[str, Any],
                         networking_config: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The record's ``NetworkingConfig`` and the warnings, after dockerd's checks."""
    warnings = check_conflicts(config, host_config)
    check_bindings(host_config.get("PortBindings") or {})
    for key in config.get("ExposedPorts") or {}:
        split_port_key(key)
    mode = mode_of(host_config)
    if kind_of(mode) == CONTAINER:
        lookup(mode.partition(":")[2])  # 404 "No such container"
    check_link_targets(lookup, host_config.get("Links") or [])
    if networks is None:
        return networking_config, warnings
    plan = plan_endpoints(networks, host_config, networking_config)
    mac = config.get("MacAddress")
    if mac and plan:
        primary = next(iter(plan.values()))
        primary.setdefault("MacAddress", mac)
        check_endpoint_config(next(iter(plan)), primary)
    return {"EndpointsConfig": plan}, warnings
