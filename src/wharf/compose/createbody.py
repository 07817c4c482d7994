"""A service as the Engine API's ``POST /containers/create`` body, as docker compose sends it.

Pure: the project's environment and identity (:class:`Meta`) come in, a JSON-able mapping goes
out. Mounts, ports, networks and the health check have their own helpers in
:mod:`wharf.compose.createparts`; Compose's labels are written here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wharf.compose import labels as L
from wharf.compose.createparts import (
    endpoints,
    exposed_ports,
    healthcheck,
    mounts,
    port_bindings,
    restart_policy,
    tmpfs,
)
from wharf.compose.environment import as_env_list, resolve_environment
from wharf.compose.model import Project
from wharf.compose.model_service import Service


@dataclass(frozen=True)
class Meta:
    """What the create body needs beyond the service: the project's identity and environment."""

    working_dir: str = ""
    config_files: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def image_name(project: str, service: Service) -> str:
    """``image:``, else the name compose gives a built image: ``<project>-<service>``."""
    return service.image or f"{project}-{service.name}"


def depends_on_label(service: Service) -> str:
    """``db:service_started:false,...`` as compose writes ``com.docker.compose.depends_on``."""
    return ",".join(f"{name}:{dep.condition}:{str(dep.restart).lower()}"
                    for name, dep in sorted(service.depends_on.items()))


def compose_labels(project: Project, service: Service, meta: Meta, number: int,
                   oneoff: bool) -> dict[str, str]:
    """Compose's labels of one container (the config hash is added by the caller)."""
    return {
        L.PROJECT: project.name, L.SERVICE: service.name, L.NUMBER: str(number),
        L.ONEOFF: "True" if oneoff else "False", L.VERSION: L.COMPOSE_VERSION,
        L.WORKING_DIR: meta.working_dir, L.CONFIG_FILES: ",".join(meta.config_files),
        L.DEPENDS_ON: depends_on_label(service), L.IMAGE: image_name(project.name, service),
    }  # fmt: skip


def _config(project: Project, service: Service, meta: Meta) -> dict[str, Any]:
    env = resolve_environment(service, meta.env)
    body: dict[str, Any] = {
        "Image": image_name(project.name, service),
        "Env": as_env_list(env),
        "ExposedPorts": exposed_ports(service),
        "Labels": dict(service.labels),
    }
    optional = {
        "Cmd": service.command, "Entrypoint": service.entrypoint,
        "WorkingDir": service.working_dir, "User": service.user, "Hostname": service.hostname,
        "StopSignal": service.stop_signal, "Healthcheck": healthcheck(service.healthcheck),
        "StopTimeout": None if service.stop_grace_period is None
        else int(service.stop_grace_period),
    }  # fmt: skip
    body.update({k: v for k, v in optional.items() if v is not None})
    return body


def _host_config(project: Project, service: Service) -> dict[str, Any]:
    binds, mount_list = mounts(project, service)
    host: dict[str, Any] = {
        "PortBindings": port_bindings(service), "RestartPolicy": restart_policy(service.restart),
        "Binds": binds, "Mounts": mount_list, "ExtraHosts": list(service.extra_hosts),
        "Dns": list(service.dns), "Tmpfs": tmpfs(service.tmpfs),
    }
    limits = service.limits
    optional = {
        "Init": service.init, "Memory": limits.memory, "PidsLimit": limits.pids,
        "NanoCpus": None if limits.cpus is None else int(limits.cpus * 1e9),
    }
    host.update({k: v for k, v in optional.items() if v is not None})
    return host


def create_body(project: Project, service: Service, meta: Meta, number: int = 1,
                oneoff: bool = False) -> dict[str, Any]:
    """The create body of container ``number`` of ``service`` (without the config hash)."""
    body = _config(project, service, meta)
    body["Labels"].update(compose_labels(project, service, meta, number, oneoff))
    mode, endpoint_config = endpoints(project, service)
    body["HostConfig"] = {**_host_config(project, service), "NetworkMode": mode}
    body["NetworkingConfig"] = {"EndpointsConfig": endpoint_config}
    return body
