"""A recording network driver and a service on a real metadata database, for the network
service's unit tests."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

from wharf.core.errors import WharfError
from wharf.core.netspec import BridgeSpec, EndpointSpec, PortMapping, Sandbox
from wharf.network.ipam import IPNetwork
from wharf.services.engine_types import IPAM, IPAMConfig, NetworkCreateRequest
from wharf.services.events import EventBus
from wharf.services.networks import NetworkDeps, NetworkService
from wharf.services.networks_config import NetworkDefaults
from wharf.store.metadata import MetadataStore

T = TypeVar("T")


class FakeDriver:
    """Keeps the bridges it was asked for; ``fail_bridge`` makes ensure_bridge fail."""

    def __init__(self) -> None:
        self.bridges: dict[str, BridgeSpec] = {}
        self.calls: list[tuple[str, Any]] = []
        self.fail_bridge = ""

    def ensure_bridge(self, spec: BridgeSpec) -> None:
        self.calls.append(("ensure_bridge", spec.ifname))
        if spec.ifname == self.fail_bridge:
            raise WharfError(f"cannot make {spec.ifname}")
        self.bridges[spec.ifname] = spec

    def remove_bridge(self, spec: BridgeSpec) -> None:
        self.calls.append(("remove_bridge", spec.ifname))
        self.bridges.pop(spec.ifname, None)

    def create_sandbox(self, container_id: str, endpoints: list[EndpointSpec],
                       dns: bool) -> Sandbox:
        return Sandbox(container_id, f"/run/netns/{container_id}")

    def remove_sandbox(self, container_id: str) -> None:
        pass

    def sandbox_path(self, container_id: str) -> str:
        return f"/run/netns/{container_id}"

    def connect(self, container_id: str, endpoint: EndpointSpec) -> None:
        pass

    def disconnect(self, container_id: str, endpoint: EndpointSpec) -> None:
        pass

    def publish(self, mappings: list[PortMapping]) -> None:
        pass

    def unpublish(self, mappings: list[PortMapping]) -> None:
        pass

    def sweep(self, live_containers: set[str], own_bridges: set[str]) -> list[str]:
        self.calls.append(("sweep", (sorted(live_containers), sorted(own_bridges))))
        return []


class Harness:
    def __init__(self, tmp: Path, defaults: NetworkDefaults | None = None,
                 reserved: list[str] | None = None,
                 interfaces: set[str] | None = None) -> None:
        self.db = MetadataStore(tmp / "metadata.db")
        self.driver = FakeDriver()
        self.events = EventBus()
        self.names: dict[str, tuple[str, str]] = {}
        routes: list[IPNetwork] = [ipaddress.ip_network(r) for r in reserved or []]
        self.service = NetworkService(NetworkDeps(
            self.db, self.driver, self.events,
            defaults or NetworkDefaults(bridge="wtest0", bip="10.200.0.1/24"),
            container_info=lambda cid: self.names.get(cid, ("", "")),
            reserved=lambda version: [r for r in routes if r.version == version],
            interface_exists=lambda name: name in (interfaces or set())))

    def run(self, awaitable: Awaitable[T]) -> T:
        async def wrapped() -> T:
            return await awaitable
        return asyncio.run(wrapped())

    def start(self, live: set[str] | None = None) -> None:
        self.run(self.service.start(live or set()))

    def create(self, name: str, *subnets: dict[str, Any], **fields: Any) -> str:
        ipam = IPAM(config=[IPAMConfig(**s) for s in subnets]) if subnets else None
        body = NetworkCreateRequest(name=name, ipam=ipam, **fields)
        return self.run(self.service.create(body))["Id"]

    def actions(self) -> list[tuple[str, str, dict[str, str]]]:
        return [(e.type, e.action, dict(e.attributes)) for e in self.events.history()]
