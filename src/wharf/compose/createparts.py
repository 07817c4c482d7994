"""The parts of a create body with a shape of their own: mounts, ports, network endpoints, the
health check (durations in nanoseconds) and the restart policy."""

from __future__ import annotations

from typing import Any

from wharf.compose.model import Project
from wharf.compose.model_parts import Healthcheck
from wharf.compose.model_ports import VolumeMount
from wharf.compose.model_service import Service
from wharf.compose.resources import network_name, service_networks, volume_name

_NS = 1_000_000_000


def exposed_ports(service: Service) -> dict[str, dict[str, Any]]:
    """``{"80/tcp": {}}`` for every published port and every ``expose`` entry."""
    ports = [f"{p.target}/{p.protocol}" for p in service.ports] + list(service.expose)
    return {port: {} for port in ports}


def port_bindings(service: Service) -> dict[str, list[dict[str, str]]]:
    """``{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}``; "" lets the engine pick."""
    out: dict[str, list[dict[str, str]]] = {}
    for port in service.ports:
        binding = {"HostIp": port.host_ip, "HostPort": port.published}
        out.setdefault(f"{port.target}/{port.protocol}", []).append(binding)
    return out


def _mount(project: Project, mount: VolumeMount) -> dict[str, Any]:
    out: dict[str, Any] = {"Type": mount.type, "Target": mount.target}
    if mount.read_only:
        out["ReadOnly"] = True
    if mount.type == "volume" and mount.source:
        out["Source"] = volume_name(project, mount.source)
    elif mount.type == "bind":
        out["Source"] = mount.source
    if mount.nocopy:
        out["VolumeOptions"] = {"NoCopy": True}
    if mount.tmpfs_size is not None:
        out["TmpfsOptions"] = {"SizeBytes": mount.tmpfs_size}
    return out


def mounts(project: Project, service: Service) -> tuple[list[str], list[dict[str, Any]]]:
    """``(Binds, Mounts)``: a bind that may create its host path goes in ``Binds`` (the engine
    creates a missing source there, as compose relies on); everything else in ``Mounts``."""
    binds: list[str] = []
    mount_list: list[dict[str, Any]] = []
    for mount in service.volumes:
        if mount.type == "bind" and mount.create_host_path:
            binds.append(f"{mount.source}:{mount.target}" + (":ro" if mount.read_only else ""))
        else:
            mount_list.append(_mount(project, mount))
    return binds, mount_list


def tmpfs(entries: list[str]) -> dict[str, str]:
    """``tmpfs: ["/run:size=64m"]`` as ``{"/run": "size=64m"}``."""
    out: dict[str, str] = {}
    for entry in entries:
        path, _, options = entry.partition(":")
        out[path] = options
    return out


def healthcheck(check: Healthcheck | None) -> dict[str, Any] | None:
    """``Config.Healthcheck``; durations in nanoseconds, unset fields left to the image."""
    if check is None:
        return None
    if check.disable:
        return {"Test": ["NONE"]}
    out: dict[str, Any] = {"Test": list(check.test)} if check.test else {}
    durations = {"Interval": check.interval, "Timeout": check.timeout,
                 "StartPeriod": check.start_period, "StartInterval": check.start_interval}
    out.update({k: round(v * _NS) for k, v in durations.items() if v is not None})
    if check.retries is not None:
        out["Retries"] = check.retries
    return out


def restart_policy(restart: str) -> dict[str, Any]:
    """``on-failure:3`` as ``{"Name": "on-failure", "MaximumRetryCount": 3}``."""
    name, _, count = restart.partition(":")
    return {"Name": name, "MaximumRetryCount": int(count or 0)}


def endpoints(project: Project, service: Service) -> tuple[str, dict[str, Any]]:
    """``(NetworkMode, EndpointsConfig)``: every network the service joins, the service name
    and its ``aliases`` as DNS aliases, a fixed ``ipv4_address`` when given."""
    config: dict[str, Any] = {}
    attached = service_networks(service)
    for key, attach in attached.items():
        endpoint: dict[str, Any] = {"Aliases": [service.name, *attach.aliases]}
        if attach.ipv4_address:
            endpoint["IPAMConfig"] = {"IPv4Address": attach.ipv4_address}
        config[network_name(project, key)] = endpoint
    first = network_name(project, sorted(attached)[0])
    return first, config
