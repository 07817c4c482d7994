"""The container service's parts that are not use cases: its dependencies, the per-container
live state, and small helpers (stdin gating for early attaches, error mapping)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wharf.core.errors import InvalidParameter, RuntimeFailure, WharfError
from wharf.services.container_network import ContainerNetworking
from wharf.services.events import EventBus
from wharf.services.protocols import (
    CgroupsPort,
    ContainerStorePort,
    ImageLookup,
    RootfsPort,
    ShimLauncherPort,
    ShimPort,
    SpecPort,
    StreamPort,
)
from wharf.services.restart_policy import RestartBackoff
from wharf.services.volumes_containers import ContainerVolumes


@dataclass(frozen=True)
class ContainerPaths:
    data_root: Path

    def container_dir(self, container_id: str) -> Path:
        return self.data_root / "containers" / container_id

    def log_path(self, container_id: str) -> Path:
        return self.container_dir(container_id) / f"{container_id}-json.log"

    @property
    def runtime_root(self) -> Path:
        return self.data_root / "runtime"


@dataclass(frozen=True)
class ContainerDeps:
    paths: ContainerPaths
    images: ImageLookup
    rootfs: RootfsPort
    shims: ShimLauncherPort
    spec: SpecPort
    cgroups: CgroupsPort
    store: ContainerStorePort
    events: EventBus
    runtimes: Mapping[str, str]  # name → "wharf" or a binary path
    default_runtime: str = "wharf"
    host_resolv_conf: Path = Path("/etc/resolv.conf")
    log_opts: Mapping[str, str] = field(default_factory=dict)  # daemon's json-file defaults
    networking: ContainerNetworking | None = None  # None: loopback-only containers (tests)
    volumes: ContainerVolumes | None = None  # the volume service (None: no volumes)


@dataclass
class LiveState:
    """What the daemon holds for a container beyond its record."""

    shim: ShimPort | None = None
    watcher: asyncio.Task[None] | None = None
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    removed: asyncio.Event = field(default_factory=asyncio.Event)
    pending_attaches: list[tuple[tuple[bool, bool, bool], asyncio.Future[StreamPort]]] = field(
        default_factory=list
    )
    exec_ids: list[str] = field(default_factory=list)
    removing: bool = False  # a forced removal is stopping it: its exit is not worth a write
    exit_on_next: bool = False  # stopped or killed by the user: its restart policy waits
    restart_task: asyncio.Task[None] | None = None  # the restart after the back-off delay
    backoff: RestartBackoff = field(default_factory=RestartBackoff)


async def wait_event(event: asyncio.Event, timeout: float) -> bool:
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        return False
    return True


def user_error(err: WharfError) -> WharfError:
    """The runtime's message, as 400 when the user's command is at fault (the docker CLI
    turns "executable file not found" into exit 127 and "permission denied" into 126)."""
    message = err.message
    if isinstance(err, RuntimeFailure) and any(
        text in message
        for text in ("executable file not found", "no such file or directory", "permission denied")
    ):
        return InvalidParameter(message)
    return err


def mount_point(oci_mount: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "bind",
        "Source": oci_mount["source"],
        "Destination": oci_mount["destination"],
        "Mode": "",
        "RW": not {"ro", "rro"} & set(oci_mount["options"]),
        "Propagation": "rprivate",
    }
