"""The host's side of networking: bridges, sandboxes (network namespaces) with veth endpoints,
the embedded DNS sockets, published ports and the firewall rules for all of them; implements
``services.protocols.NetworkDriverPort``. docs/contracts.md, "Networking"."""

from __future__ import annotations

from pathlib import Path

from wharf.core.netspec import BridgeSpec, EndpointSpec, PortMapping, Sandbox


class BridgeDriver:
    def __init__(self, netns_dir: Path, *, iptables: bool = True, ip6tables: bool = True,
                 ip_forward: bool = True, ip_masq: bool = True, userland_proxy: bool = True,
                 proxy_only: bool = False, firewall_backend: str = "") -> None:
        self.netns_dir = netns_dir

    def ensure_bridge(self, spec: BridgeSpec) -> None:
        raise NotImplementedError

    def remove_bridge(self, spec: BridgeSpec) -> None:
        raise NotImplementedError

    def create_sandbox(self, container_id: str, endpoints: list[EndpointSpec],
                       dns: bool) -> Sandbox:
        raise NotImplementedError

    def remove_sandbox(self, container_id: str) -> None:
        raise NotImplementedError

    def sandbox_path(self, container_id: str) -> str:
        return str(self.netns_dir / container_id)

    def connect(self, container_id: str, endpoint: EndpointSpec) -> None:
        raise NotImplementedError

    def disconnect(self, container_id: str, endpoint: EndpointSpec) -> None:
        raise NotImplementedError

    def publish(self, mappings: list[PortMapping]) -> None:
        raise NotImplementedError

    def unpublish(self, mappings: list[PortMapping]) -> None:
        raise NotImplementedError

    def sweep(self, live_containers: set[str], own_bridges: set[str]) -> list[str]:
        raise NotImplementedError
