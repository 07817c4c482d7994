"""The one place that builds everything: stores, runtime pieces, services, routes.

Adapters here turn the lower layers' concrete APIs into the Protocols the services declare
(``wharf.services.protocols``), so services never import a store or the runtime's stateful parts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wharf.api.routes import archive as archive_routes
from wharf.api.routes import build as build_routes
from wharf.api.routes import container_stats as container_stats_routes
from wharf.api.routes import containers as container_routes
from wharf.api.routes import distribution as distribution_routes
from wharf.api.routes import exec as exec_routes
from wharf.api.routes import images as image_routes
from wharf.api.routes import networks as network_routes
from wharf.api.routes import system as system_routes
from wharf.api.routes import volumes as volume_routes
from wharf.api.server import RouteDef
from wharf.core.errors import NotFound
from wharf.core.metadata import ContainerRow, ContainerRows
from wharf.core.shimconfig import SHIM_SERVER_PARENT_ENV, ShimConfig
from wharf.daemon.config import DaemonConfig
from wharf.daemon.container_networking import container_networking
from wharf.daemon.listeners import private_directory
from wharf.network.driver import BridgeDriver
from wharf.registry.client import RegistryClient, RegistryConfig
from wharf.runtime import spec as runtime_spec
from wharf.runtime.cgroups import detect_layout, open_cgroup
from wharf.runtime.shim_client import ShimLauncher, read_exit_status
from wharf.services import image_reports
from wharf.services.archive import ArchiveService
from wharf.services.build import BuildDeps, BuildService
from wharf.services.commit import CommitService
from wharf.services.container_health import HealthMonitor
from wharf.services.container_health_probe import exec_probe
from wharf.services.container_record import ContainerRecord
from wharf.services.container_stats import ContainerStatsService
from wharf.services.container_stats_proc import ProcHost
from wharf.services.container_update import ContainerUpdateService
from wharf.services.containers import ContainerDeps, ContainerPaths, ContainerService
from wharf.services.disk_usage import DiskUsageSources
from wharf.services.events import EventBus
from wharf.services.exec import ExecService
from wharf.services.image_pull import PullService
from wharf.services.image_push import PushService
from wharf.services.images import ImageService
from wharf.services.networks import NetworkDeps, NetworkService
from wharf.services.networks_config import NetworkDefaults
from wharf.services.protocols import ExitStatusLike, ShimPort
from wharf.services.registry_adapter import ClientRegistry
from wharf.services.registry_service import RegistryService
from wharf.services.rootfs import RootfsService
from wharf.services.system import DaemonFacts, SystemService
from wharf.services.volumes import VolumeService
from wharf.store.content import ContentStore
from wharf.store.metadata import MetadataStore
from wharf.store.snapshots import open_snapshotter
from wharf.volumes.local import LocalVolumes

log = logging.getLogger(__name__)

SHIM_SERVER_START_TIMEOUT = 10.0


class MetadataContainerStore:
    """The containers table of the metadata DB as the container service's store. The service
    owns the JSON record; the name, image id and creation time are copied into indexed columns
    (names stay unique; image removal finds the containers that use an image)."""

    def __init__(self, db: ContainerRows) -> None:
        self._db = db

    def save(self, record: ContainerRecord) -> None:
        self._db.put_container(ContainerRow(record.id, "/" + record.name, record.image_id,
                                            record.created, record.to_json()))

    def delete(self, container_id: str) -> None:
        self._db.delete_container(container_id)

    def load_all(self) -> list[str]:
        return [row.record for row in self._db.list_containers()]


class RuntimeSpec:
    """``runtime.spec`` behind the service's SpecPort."""

    def build(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        return runtime_spec.build_spec(runtime_spec.SpecInput(**fields))

    def resolve_user(self, rootfs: Path, user: str) -> tuple[int, int, list[int]]:
        return runtime_spec.resolve_user(rootfs, user)

    def privileged_capabilities(self) -> list[str]:
        return runtime_spec.effective_caps(True, [], [])

    def check_security(self, privileged: bool, cap_add: list[str], cap_drop: list[str],
                       security_opt: list[str]) -> None:
        runtime_spec.check_security(privileged, cap_add, cap_drop, security_opt)


class HostCgroups:
    """Freezer and pid listing through ``runtime.cgroups`` (layout detected once)."""

    def __init__(self) -> None:
        self._layout = detect_layout()

    @property
    def version(self) -> str:
        return str(self._layout.version)

    def freeze(self, cgroups_path: str) -> None:
        open_cgroup(cgroups_path, self._layout).freeze()

    def thaw(self, cgroups_path: str) -> None:
        open_cgroup(cgroups_path, self._layout).thaw()

    def pids(self, cgroups_path: str) -> list[int]:
        return open_cgroup(cgroups_path, self._layout).pids()

    def destroy(self, cgroups_path: str) -> None:
        """What a lost shim leaves: kill every process in the cgroup (``kill_all`` freezes it
        first, so none can fork away), then remove it."""
        cgroup = open_cgroup(cgroups_path, self._layout)
        with contextlib.suppress(OSError):
            cgroup.kill_all(signal.SIGKILL)
        cgroup.remove()

    def exists(self, cgroups_path: str) -> bool:
        cgroup = open_cgroup(cgroups_path, self._layout)
        return any(directory.is_dir() for directory in cgroup.mount_sources().values())

    def stats(self, cgroups_path: str) -> dict[str, Any]:
        return open_cgroup(cgroups_path, self._layout).stats()

    def update(self, cgroups_path: str, resources: dict[str, Any]) -> None:
        open_cgroup(cgroups_path, self._layout).update(resources)


class Shims:
    """``runtime.shimclient`` behind the service's ShimLauncherPort."""

    def __init__(self, launcher: ShimLauncher) -> None:
        self._launcher = launcher

    async def launch(self, config: ShimConfig) -> ShimPort:
        return await self._launcher.launch(config)

    async def connect(self, container_dir: Path) -> ShimPort | None:
        return await self._launcher.connect(container_dir)

    def read_exit_status(self, container_dir: Path) -> ExitStatusLike | None:
        return read_exit_status(container_dir)

    async def destroy(self, container_dir: Path) -> None:
        await self._launcher.destroy(container_dir)


@dataclass
class Daemon:
    """Everything wharfd runs, built by :func:`build_daemon`."""

    config: DaemonConfig
    db: MetadataStore
    events: EventBus
    images: ImageService
    containers: ContainerService
    execs: ExecService
    system: SystemService
    routes: list[RouteDef]
    shim_server: asyncio.subprocess.Process | None = None
    background: list[asyncio.Task[None]] = field(default_factory=list)
    registry: ClientRegistry | None = None
    networks: NetworkService | None = None
    volumes: VolumeService | None = None

    async def close(self, stop_containers: bool = False) -> None:
        """Stop the running containers when asked (no live-restore), stop watching the rest
        (they keep running under their shims) and close the stores."""
        if stop_containers:
            await self.containers.stop_all()
        await self.containers.shutdown()
        if self.shim_server is not None and self.shim_server.returncode is None:
            self.shim_server.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.shim_server.wait(), 5)
        if self.registry is not None:
            self.registry.close()
        self.db.close()


def volumes_in_use(containers: ContainerService | None,
                   running_only: bool = False) -> dict[str, list[str]]:
    """Container id → the names of the volumes it references (all containers, or the
    running ones: those hold their volumes mounted)."""
    if containers is None:
        return {}
    return {record.id: [m["Name"] for m in record.mounts if m.get("Type") == "volume"]
            for record in containers.all() if record.state.running or not running_only}


def _volume_service(root: Path, db: MetadataStore, events: EventBus,
                    containers: Callable[[], ContainerService | None]) -> VolumeService:
    """The volume service over the local driver; a volume is in use while a container (of
    any state) references it, as dockerd counts."""

    def users_of(name: str) -> list[str]:
        return [cid for cid, names in volumes_in_use(containers()).items() if name in names]

    return VolumeService(db, LocalVolumes(root / "volumes"), events, users_of)


def _daemon_id(db: MetadataStore) -> str:
    existing = db.kv_get("daemon", "id")
    if existing:
        return existing
    new_id = secrets.token_hex(16).upper()
    db.kv_put("daemon", "id", new_id)
    return new_id


async def _start_shim_server(socket_path: Path) -> asyncio.subprocess.Process | None:
    """The shim fork server (fast shim starts); None when it cannot start (shims spawn then)."""
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    socket_path.unlink(missing_ok=True)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wharf.runtime.shim_forkserver", str(socket_path),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        env={**os.environ, SHIM_SERVER_PARENT_ENV: str(os.getpid())})
    deadline = asyncio.get_running_loop().time() + SHIM_SERVER_START_TIMEOUT
    while not socket_path.exists():
        if process.returncode is not None or asyncio.get_running_loop().time() > deadline:
            log.warning("the shim server did not start; shims will be spawned")
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            return None
        await asyncio.sleep(0.01)
    return process


def _network_service(config: DaemonConfig, db: MetadataStore, events: EventBus,
                     container_info: Callable[[str], tuple[str, str]],
                     driver: BridgeDriver) -> NetworkService:
    """Networks on the host's bridge driver, from daemon.json's networking keys."""
    options = config.network
    defaults = NetworkDefaults(
        bridge=options.bridge, bip=options.bip, fixed_cidr=options.fixed_cidr,
        default_address_pools=options.default_address_pools, ipv6=options.ipv6,
        fixed_cidr_v6=options.fixed_cidr_v6, icc=options.icc, ip_masq=options.ip_masq,
        mtu=options.mtu)
    return NetworkService(NetworkDeps(db, driver, events, defaults, container_info))


def _bridge_driver(config: DaemonConfig) -> BridgeDriver:
    options = config.network
    return BridgeDriver(
        config.exec_root / "netns", iptables=options.iptables, ip6tables=options.ip6tables,
        ip_forward=options.ip_forward, ip_masq=options.ip_masq,
        userland_proxy=options.userland_proxy, proxy_only=options.publish_respects_firewall,
        firewall_backend=options.firewall_backend)


def _running_container_ids(db: MetadataStore) -> set[str]:
    """Containers whose records say they run (their sandboxes survive the sweep)."""
    running = set()
    for row in db.list_containers():
        with contextlib.suppress(ValueError, TypeError, KeyError):
            if ContainerRecord.from_json(row.record).state.running:
                running.add(row.id)
    return running


async def build_daemon(config: DaemonConfig) -> Daemon:
    root = config.data_root
    root.mkdir(parents=True, exist_ok=True, mode=0o711)
    (root / "containers").mkdir(exist_ok=True, mode=0o710)
    (root / "runtime").mkdir(exist_ok=True, mode=0o700)
    private_directory(config.exec_root)
    db = MetadataStore(root / "metadata.db")
    snapshots = open_snapshotter(root)
    events = EventBus()
    loop = asyncio.get_running_loop()
    containers: ContainerService | None = None

    def publish_image_event(action: str, image_id: str, attributes: dict[str, str]) -> None:
        # ImageService may call this from worker threads: hand it to the loop's thread
        loop.call_soon_threadsafe(events.publish, "image", action, image_id, attributes)

    def container_running(container_id: str) -> bool:
        with contextlib.suppress(NotFound):
            return containers is not None and containers.get(container_id).state.running
        return False

    images = ImageService(ContentStore(root / "content"), db, snapshots,
                          db.containers_using_image,
                          scratch_dir=root / "tmp", on_event=publish_image_event,
                          container_running=container_running)
    rootfs = RootfsService(snapshots, root / "tmp", root / "containers")
    volumes = _volume_service(root, db, events, lambda: containers)
    cgroups = HostCgroups()
    shim_server = await _start_shim_server(config.exec_root / "shimserver.sock")
    launcher = ShimLauncher(server_socket=(config.exec_root / "shimserver.sock"
                                           if shim_server else None))

    def container_info(container_id: str) -> tuple[str, str]:
        with contextlib.suppress(NotFound):
            if containers is not None:
                record = containers.get(container_id)
                return record.name, str(record.config.get("Hostname") or "")
        return "", ""

    driver = _bridge_driver(config)
    networks = _network_service(config, db, events, container_info, driver)
    await networks.start(_running_container_ids(db))
    containers = ContainerService(ContainerDeps(
        paths=ContainerPaths(root), images=images, rootfs=rootfs, shims=Shims(launcher),
        spec=RuntimeSpec(), cgroups=cgroups, store=MetadataContainerStore(db), events=events,
        runtimes=config.runtimes, default_runtime=config.default_runtime,
        log_opts=config.log_opts, volumes=volumes,
        networking=container_networking(config.network, networks, driver),
    ))
    await containers.restore()
    volumes.restore(volumes_in_use(containers, running_only=True))
    await asyncio.to_thread(images.collect_garbage)  # leftovers of a crash mid-pull/-rm
    spec = RuntimeSpec()
    execs = ExecService(containers, spec, events)
    health = HealthMonitor(containers, exec_probe(execs))
    containers.add_run_hooks(health)
    health.resume(containers.all())  # live-restore: the adopted containers' checks go on
    await containers.start_by_policy()
    facts = DaemonFacts(
        data_root=root, daemon_id=_daemon_id(db), runtimes=config.runtimes,
        default_runtime=config.default_runtime, live_restore=config.live_restore,
        registry_mirrors=config.registry_mirrors,
        insecure_registries=config.insecure_registries, cgroup_version=cgroups.version,
        storage_driver=snapshots.name,
    )
    build: BuildService | None = None
    system = SystemService(facts, containers, lambda: images.list(False, {}), events,
                           disk=DiskUsageSources(
                               list_images=lambda: images.list(False, {}, shared_size=True),
                               layers_size=lambda: image_reports.layers_size(images),
                               containers=containers.all,
                               container_sizes=containers.sizes, volumes=volumes.usage,
                               build_cache=lambda: build.usage() if build else []))
    registry = ClientRegistry(RegistryClient(RegistryConfig(
        mirrors=config.mirrors_by_registry, insecure_registries=config.insecure_registries,
        read_timeout=float(config.registry_read_timeout))))
    pull = PullService(images.store, registry, on_event=publish_image_event,
                       concurrency=config.max_concurrent_downloads,
                       attempts=config.max_download_attempts)
    build = BuildService(BuildDeps(root / "build", images, containers, rootfs, pull,
                                   cache_records=db))
    await build.sweep()
    distribution, distribution_defs = distribution_routes.routes(
        pull,
        PushService(images.store, registry, on_event=publish_image_event,
                    concurrency=config.max_concurrent_uploads),
        RegistryService(registry))
    routes = [
        *system_routes.routes(system, events),
        *container_routes.routes(containers),
        *container_stats_routes.routes(
            ContainerStatsService(containers, cgroups, ProcHost()),
            ContainerUpdateService(containers, MetadataContainerStore(db), cgroups)),
        *exec_routes.routes(execs),
        *image_routes.routes(images, pull=distribution.pull),
        *distribution_defs,
        *build_routes.routes(build),
        *network_routes.routes(networks, containers),
        *archive_routes.routes(ArchiveService(containers, rootfs, spec.resolve_user, root / "tmp"),
                               CommitService(containers, images, rootfs, root / "tmp")),
        *volume_routes.routes(volumes),
    ]
    return Daemon(config, db, events, images, containers, execs, system, routes, shim_server,
                  registry=registry, networks=networks, volumes=volumes)
