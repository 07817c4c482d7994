"""``NetworkSettings`` as ``docker inspect`` shows it (API ≥ 1.44): the sandbox, the published
ports, an ``EndpointSettings`` per network, and the deprecated top-level address fields, filled
for the default bridge only, as dockerd does."""

from __future__ import annotations

import hashlib
from typing import Any

from wharf.services.container_network_types import DEFAULT_NETWORK

_TOP_LEVEL = ("EndpointID", "Gateway", "GlobalIPv6Address", "GlobalIPv6PrefixLen",
              "IPAddress", "IPPrefixLen", "IPv6Gateway", "MacAddress")
_ENDPOINT_EMPTY: dict[str, Any] = {
    "IPAMConfig": None, "Links": None, "Aliases": None, "MacAddress": "", "DriverOpts": None,
    "NetworkID": "", "EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0,
    "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "DNSNames": None,
}


def empty_settings() -> dict[str, Any]:
    return {
        "Bridge": "", "SandboxID": "", "SandboxKey": "", "Ports": {},
        "HairpinMode": False, "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0,
        "SecondaryIPAddresses": None, "SecondaryIPv6Addresses": None, "EndpointID": "",
        "Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "IPAddress": "",
        "IPPrefixLen": 0, "IPv6Gateway": "", "MacAddress": "", "Networks": {},
    }


def sandbox_id(container_id: str) -> str:
    """A stable 64-hex id for the container's sandbox (Docker's is libnetwork's)."""
    return hashlib.sha256(f"sandbox:{container_id}".encode()).hexdigest()


def endpoint_view(config: dict[str, Any], live: dict[str, Any] | None = None) -> dict[str, Any]:
    """One ``Networks`` entry: the asked settings (IPAMConfig, Aliases, Links, MacAddress,
    NetworkID) and, while running, what the network gave."""
    view = dict(_ENDPOINT_EMPTY)
    for key in ("IPAMConfig", "Links", "Aliases", "MacAddress", "DriverOpts", "NetworkID"):
        if config.get(key):
            view[key] = config[key]
    if live:
        view.update({k: v for k, v in live.items() if k in _ENDPOINT_EMPTY})
    return view


def running_settings(networks: dict[str, dict[str, Any]], ports: dict[str, Any],
                     container_id: str, sandbox_key: str) -> dict[str, Any]:
    settings = empty_settings()
    settings.update(Ports=ports, Networks=networks, SandboxKey=sandbox_key,
                    SandboxID=sandbox_id(container_id) if sandbox_key else "")
    default = networks.get(DEFAULT_NETWORK)
    if default:
        settings.update({key: default.get(key, settings[key]) for key in _TOP_LEVEL})
    return settings


def stopped_settings(endpoints_config: dict[str, Any]) -> dict[str, Any]:
    """A container that is not running: its networks as asked, no addresses, no ports."""
    settings = empty_settings()
    settings["Networks"] = {name: endpoint_view(dict(config or {}))
                            for name, config in endpoints_config.items()}
    return settings
