"""``/version``, ``/info`` and ``/system/df``: what the daemon says about itself and the host."""

from __future__ import annotations

import os
import platform
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from wharf.core.apiversion import API_VERSION, MIN_API_VERSION
from wharf.services.container_record import ContainerRecord
from wharf.services.container_stats_proc import ProcHost
from wharf.services.containers import ContainerService
from wharf.services.disk_usage import DiskUsageSources, disk_usage
from wharf.services.events import EventBus

ENGINE_VERSION = "27.0.0-wharf"
GIT_COMMIT = "wharf"
BUILD_TIME = "2026-01-01T00:00:00.000000000+00:00"


@dataclass(frozen=True)
class DaemonFacts:
    data_root: Path
    daemon_id: str
    runtimes: Mapping[str, str]
    default_runtime: str
    live_restore: bool
    registry_mirrors: list[str]
    insecure_registries: list[str]
    cgroup_version: str  # "1" or "2"
    storage_driver: str = "overlay2"


def _os_release() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "Linux"


def _arch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


class SystemService:
    def __init__(
        self,
        facts: DaemonFacts,
        containers: ContainerService,
        list_images: Callable[[], list[dict[str, Any]]],
        events: EventBus,
        disk: DiskUsageSources | None = None,
    ) -> None:
        """``disk``: where ``system df`` finds its figures (none: images and containers only)."""
        self._facts = facts
        self._events = events
        self._containers = containers
        self._list_images = list_images
        self._disk = disk or DiskUsageSources(
            list_images=list_images, layers_size=lambda: 0, containers=containers.all,
            container_sizes=containers.sizes, volumes=list, build_cache=list)

    def version(self) -> dict[str, Any]:
        uname = os.uname()
        details = {
            "ApiVersion": API_VERSION,
            "MinAPIVersion": MIN_API_VERSION,
            "GitCommit": GIT_COMMIT,
            "GoVersion": "python" + platform.python_version(),
            "Os": "linux",
            "Arch": _arch(),
            "KernelVersion": uname.release,
            "BuildTime": BUILD_TIME,
            "Experimental": "false",
        }
        return {
            "Platform": {"Name": f"wharf Engine {ENGINE_VERSION}"},
            "Components": [{"Name": "Engine", "Version": ENGINE_VERSION, "Details": details}],
            "Version": ENGINE_VERSION,
            "ApiVersion": API_VERSION,
            "MinAPIVersion": MIN_API_VERSION,
            "GitCommit": GIT_COMMIT,
            "GoVersion": details["GoVersion"],
            "Os": "linux",
            "Arch": _arch(),
            "KernelVersion": uname.release,
            "BuildTime": BUILD_TIME,
        }

    def info(self) -> dict[str, Any]:
        records = self._containers.all()
        running = sum(1 for r in records if r.state.status == "running")
        paused = sum(1 for r in records if r.state.status == "paused")
        facts = self._facts
        uname = os.uname()
        return {
            "ID": facts.daemon_id,
            "Containers": len(records),
            "ContainersRunning": running,
            "ContainersPaused": paused,
            "ContainersStopped": len(records) - running - paused,
            "Images": len(self._list_images()),
            "Driver": facts.storage_driver,
            "DriverStatus": [["Backing Filesystem", "extfs"], ["Supports d_type", "true"]],
            "Plugins": {
                "Volume": ["local"],
                "Network": ["bridge", "host", "none"],
                "Authorization": None,
                "Log": ["json-file"],
            },
            "MemoryLimit": True,
            "SwapLimit": True,
            "CpuCfsPeriod": True,
            "CpuCfsQuota": True,
            "CPUShares": True,
            "CPUSet": True,
            "PidsLimit": True,
            "IPv4Forwarding": True,
            "BridgeNfIptables": False,
            "BridgeNfIp6tables": False,
            "Debug": False,
            "NFd": len(os.listdir("/proc/self/fd")),
            "OomKillDisable": False,
            "NGoroutines": 0,
            "SystemTime": _now_local(),
            "LoggingDriver": "json-file",
            "CgroupDriver": "cgroupfs",
            "CgroupVersion": facts.cgroup_version,
            "NEventsListener": self._events.listeners,
            "KernelVersion": uname.release,
            "OperatingSystem": _os_release(),
            "OSVersion": "",
            "OSType": "linux",
            "Architecture": platform.machine(),
            "IndexServerAddress": "https://index.docker.io/v1/",
            "RegistryConfig": {
                "AllowNondistributableArtifactsCIDRs": None,
                "AllowNondistributableArtifactsHostnames": None,
                "InsecureRegistryCIDRs": ["127.0.0.0/8"],
                "IndexConfigs": {
                    "docker.io": {
                        "Name": "docker.io",
                        "Mirrors": facts.registry_mirrors,
                        "Secure": True,
                        "Official": True,
                    }
                },
                "Mirrors": facts.registry_mirrors,
            },
            "NCPU": os.cpu_count() or 1,
            "MemTotal": ProcHost().machine_memory(),
            "GenericResources": None,
            "DockerRootDir": str(facts.data_root),
            "HttpProxy": os.environ.get("HTTP_PROXY", ""),
            "HttpsProxy": os.environ.get("HTTPS_PROXY", ""),
            "NoProxy": os.environ.get("NO_PROXY", ""),
            "Name": socket.gethostname(),
            "Labels": [],
            "ExperimentalBuild": False,
            "ServerVersion": ENGINE_VERSION,
            "Runtimes": {
                name: {"path": path if path != "wharf" else "wharf-runtime"}
                for name, path in facts.runtimes.items()
            },
            "DefaultRuntime": facts.default_runtime,
            "Swarm": {
                "NodeID": "",
                "NodeAddr": "",
                "LocalNodeState": "inactive",
                "ControlAvailable": False,
                "Error": "",
                "RemoteManagers": None,
            },
            "LiveRestoreEnabled": facts.live_restore,
            "Isolation": "",
            "InitBinary": "docker-init",
            "ContainerdCommit": {"ID": ""},
            "RuncCommit": {"ID": ""},
            "InitCommit": {"ID": ""},
            # containers get a cgroup namespace only on cgroup v2 hosts (as dockerd's default)
            "SecurityOptions": ["name=seccomp,profile=builtin"]
            + (["name=cgroupns"] if facts.cgroup_version == "2" else []),
            "Warnings": None,
        }

    async def disk_usage(
        self, kinds: frozenset[str], container_view: Callable[[ContainerRecord], dict[str, Any]]
    ) -> dict[str, Any]:
        """``GET /system/df`` for the ``kinds`` of :data:`DF_TYPES` asked for."""
        return await disk_usage(self._disk, kinds, container_view)


def _now_local() -> str:
    return datetime.now().astimezone().isoformat()
