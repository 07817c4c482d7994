"""The typed compose project: services, top-level networks and volumes, cross-checks.

Built from a :class:`~wharf.compose.loader.Loaded` (or a plain mapping in tests). Cross-service
checks live here: unknown services in ``depends_on``, undefined networks and dependency cycles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from wharf.compose.loader import Loaded
from wharf.compose.model_base import Ctx, as_bool, as_dict, only_keys, opt_str, str_map
from wharf.compose.model_fields import RESOURCE_KEYS, TOP_SUPPORTED, TOP_UNSUPPORTED
from wharf.compose.model_paths import resolve_service_paths
from wharf.compose.model_service import Service, parse_service
from wharf.compose.order import find_cycle

_SERVICE_NAME = re.compile(r"^[a-zA-Z0-9._-]+$")


@dataclass(frozen=True)
class IpamPool:
    subnet: str | None = None
    ip_range: str | None = None
    gateway: str | None = None
    aux_addresses: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Ipam:
    """A network's ``ipam:`` (networks only)."""

    driver: str | None = None
    config: list[IpamPool] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Resource:
    """A top-level network or volume."""

    name: str | None = None
    external: bool = False
    driver: str | None = None
    driver_opts: dict[str, str | None] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    ipam: Ipam | None = None


@dataclass(frozen=True)
class Project:
    """The whole normalised project: what every compose command works from."""

    name: str
    services: dict[str, Service]
    networks: dict[str, Resource] = field(default_factory=dict)
    volumes: dict[str, Resource] = field(default_factory=dict)

    def dependencies(self) -> dict[str, list[str]]:
        """``depends_on`` as the graph :mod:`wharf.compose.order` sorts."""
        return {name: list(svc.depends_on) for name, svc in self.services.items()}


def _pool(ctx: Ctx, raw: Any) -> IpamPool:
    data = as_dict(ctx, raw)
    only_keys(ctx, data, frozenset({"subnet", "ip_range", "gateway", "aux_addresses"}))
    aux = str_map(ctx.sub("aux_addresses"), data.get("aux_addresses", {}), allow_none=False)
    return IpamPool(opt_str(ctx.sub("subnet"), data.get("subnet")),
                    opt_str(ctx.sub("ip_range"), data.get("ip_range")),
                    opt_str(ctx.sub("gateway"), data.get("gateway")),
                    {k: v or "" for k, v in aux.items()})


def _ipam(ctx: Ctx, raw: Any) -> Ipam:
    data = as_dict(ctx, raw)
    only_keys(ctx, data, frozenset({"driver", "config", "options"}))
    pools = data.get("config") or []
    if not isinstance(pools, list):
        ctx.sub("config").fail(f"must be a list, not {type(pools).__name__}")
    options = str_map(ctx.sub("options"), data.get("options", {}), allow_none=False)
    return Ipam(opt_str(ctx.sub("driver"), data.get("driver")),
                [_pool(ctx.sub(f"config.{n}"), p) for n, p in enumerate(pools)],
                {k: v or "" for k, v in options.items()})


def _resource(ctx: Ctx, raw: Any, network: bool = False) -> Resource:
    data = as_dict(ctx, raw if raw is not None else {})
    only_keys(ctx, data, RESOURCE_KEYS | ({"ipam"} if network else set()))
    external = data.get("external", False)
    if isinstance(external, dict):  # legacy ``external: {name: x}``
        data.setdefault("name", external.get("name"))
        external = True
    return Resource(
        opt_str(ctx.sub("name"), data.get("name")),
        as_bool(ctx.sub("external"), external),
        opt_str(ctx.sub("driver"), data.get("driver")),
        str_map(ctx.sub("driver_opts"), data.get("driver_opts", {})),
        {k: v or "" for k, v in str_map(ctx.sub("labels"), data.get("labels", {})).items()},
        _ipam(ctx.sub("ipam"), data["ipam"]) if data.get("ipam") is not None else None,
    )


def _resources(file: str | None, key: str, raw: Any) -> dict[str, Resource]:
    ctx = Ctx(file, key)
    network = key == "networks"
    return {name: _resource(ctx.sub(name), v, network)
            for name, v in as_dict(ctx, raw or {}).items()}


def _check_refs(project: Project, files: dict[str, str], default_file: str | None) -> None:
    for svc in project.services.values():
        ctx = Ctx(files.get(svc.name, default_file), f"services.{svc.name}")
        for dep, spec in svc.depends_on.items():
            if dep not in project.services and spec.required:
                ctx.sub("depends_on").fail(f"depends on undefined service {dep!r}")
        for net in svc.networks:
            if net != "default" and net not in project.networks:
                ctx.sub("networks").fail(f"refers to undefined network {net!r}")
        for vol in svc.volumes:
            if vol.type == "volume" and vol.source and vol.source not in project.volumes:
                ctx.sub("volumes").fail(f"refers to undefined volume {vol.source!r}")
    cycle = find_cycle({n: list(s.depends_on) for n, s in project.services.items()})
    if cycle:
        ctx = Ctx(files.get(cycle[0], default_file), f"services.{cycle[0]}.depends_on")
        ctx.fail(f"dependency cycle detected: {' -> '.join(cycle)}")


def build_project(
    name: str, data: dict[str, Any], file: str | None = None,
    service_files: dict[str, str] | None = None,
) -> Project:  # fmt: skip
    """The :class:`Project` of a merged mapping; ``file`` names errors outside services."""
    top = Ctx(file, "")
    for key in data:
        if key in TOP_UNSUPPORTED:
            top.sub(key).fail("not supported by wharf")
        if key not in TOP_SUPPORTED and not key.startswith("x-"):
            top.fail(f"additional property {key} is not allowed")
    files = service_files or {}
    services_raw = as_dict(Ctx(file, "services"), data.get("services") or {})
    for svc_name in services_raw:
        if not _SERVICE_NAME.match(svc_name):
            Ctx(files.get(svc_name, file), f"services.{svc_name}").fail(
                "invalid service name: only [a-zA-Z0-9._-] are allowed"
            )
    services = {n: parse_service(files.get(n, file), n, v) for n, v in services_raw.items()}
    project = Project(
        name, services, _resources(file, "networks", data.get("networks")),
        _resources(file, "volumes", data.get("volumes")),
    )  # fmt: skip
    _check_refs(project, files, file)
    return project


def from_loaded(loaded: Loaded) -> Project:
    """The project of loaded files, paths absolute; errors name the file (the only one, or the
    service's)."""
    file = str(loaded.files[0]) if len(loaded.files) == 1 else None
    project = build_project(loaded.name, loaded.data, file, loaded.service_files)
    base = loaded.project_dir.resolve()
    services = {n: resolve_service_paths(s, base) for n, s in project.services.items()}
    return replace(project, services=services)
