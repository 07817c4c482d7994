"""The normalised project back as a compose mapping, for ``wharf compose config``.

One shape per field (long syntax for ports and volumes, mappings for environment and
labels), unset fields left out, so the output is what wharf will act on and loads again to the
same model.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from wharf.compose.model import Project, Resource
from wharf.compose.model_ports import PortSpec, VolumeMount
from wharf.compose.model_service import Service


def _prune(value: Any) -> Any:
    """Drop None and empty containers, recursively."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def _pruned(mapping: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = _prune(mapping)
    return out


def _duration(seconds: float | None) -> str | None:
    """Seconds as a compose duration (``90s``), which loads back to the same value."""
    return None if seconds is None else f"{seconds:g}s"


def _healthcheck(svc: Service) -> dict[str, Any] | None:
    if svc.healthcheck is None:
        return None
    out = asdict(svc.healthcheck)
    for key in ("interval", "timeout", "start_period", "start_interval"):
        out[key] = _duration(out[key])
    if not out["disable"]:
        out.pop("disable")
    return out


def _port(port: PortSpec) -> dict[str, Any]:
    return {"target": port.target, "published": port.published or None,
            "host_ip": port.host_ip or None, "protocol": port.protocol,
            "mode": port.mode}  # fmt: skip


def _volume(mount: VolumeMount) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": mount.type,
        "source": mount.source or None,
        "target": mount.target,
        "read_only": mount.read_only or None,
    }
    if mount.nocopy:
        out["volume"] = {"nocopy": True}
    if mount.tmpfs_size is not None:
        out["tmpfs"] = {"size": mount.tmpfs_size}
    if mount.type == "bind" and not mount.create_host_path:
        out["bind"] = {"create_host_path": False}
    return out


def _service(svc: Service) -> dict[str, Any]:
    out = {f.name: getattr(svc, f.name) for f in fields(svc)}
    out.pop("name")
    out["build"] = asdict(svc.build) if svc.build else None
    out["ports"] = [_port(p) for p in svc.ports]
    out["volumes"] = [_volume(m) for m in svc.volumes]
    out["env_file"] = [asdict(f) for f in svc.env_file]
    out["networks"] = {n: asdict(a) for n, a in svc.networks.items()}
    out["depends_on"] = {n: asdict(d) for n, d in svc.depends_on.items()}
    out["healthcheck"] = _healthcheck(svc)
    out["stop_grace_period"] = _duration(svc.stop_grace_period)
    limits = out.pop("limits")
    out["deploy"] = {"resources": {"limits": asdict(limits)}}
    return _pruned(out)


def _resource(res: Resource) -> dict[str, Any]:
    out = asdict(res)
    out["external"] = res.external or None
    return _pruned(out)


def to_config(project: Project) -> dict[str, Any]:
    """The project as a compose mapping (``name``, ``services``, ``networks``, ``volumes``)."""
    return _pruned({
        "name": project.name,
        "services": {n: _service(s) for n, s in sorted(project.services.items())},
        "networks": {n: _resource(r) for n, r in sorted(project.networks.items())},
        "volumes": {n: _resource(r) for n, r in sorted(project.volumes.items())},
    })  # fmt: skip
