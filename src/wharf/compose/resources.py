"""The project's networks and volumes: their engine names and create bodies, with Compose's
labels so that ``down`` finds them again by label, whatever the file says by then."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from wharf.compose import labels as L
from wharf.compose.model import Project, Resource
from wharf.compose.model_parts import NetworkAttach
from wharf.compose.model_service import Service

DEFAULT = "default"


def service_networks(service: Service) -> dict[str, NetworkAttach]:
    """The networks a service joins: its ``networks:``, else the project's default one."""
    return dict(service.networks) or {DEFAULT: NetworkAttach()}


def _name(project: Project, key: str, res: Resource | None) -> str:
    if res is not None and res.external:
        return res.name or key
    return L.resource_name(project.name, key, res.name if res else None)


def network_name(project: Project, key: str) -> str:
    """The engine name of network ``key``: ``name:``, the key itself when external, else
    ``<project>_<key>``."""
    return _name(project, key, project.networks.get(key))


def volume_name(project: Project, key: str) -> str:
    return _name(project, key, project.volumes.get(key))


def used_networks(project: Project) -> dict[str, Resource]:
    """The networks some service joins (``default`` included when used), by key."""
    keys = sorted({k for svc in project.services.values() for k in service_networks(svc)})
    return {k: project.networks.get(k, Resource()) for k in keys}


def used_volumes(project: Project) -> dict[str, Resource]:
    """Every declared volume (compose creates them all, used or not)."""
    return dict(sorted(project.volumes.items()))


def _labels(project: Project, res: Resource, kind_label: str, key: str) -> dict[str, str]:
    return {**res.labels, kind_label: key, L.PROJECT: project.name,
            L.VERSION: L.COMPOSE_VERSION}


def _hashed(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``body`` with a config-hash label over ``keys``: a later ``up`` sees what changed."""
    canonical = json.dumps({k: body.get(k) for k in keys}, sort_keys=True)
    body["Labels"][L.CONFIG_HASH] = hashlib.sha256(canonical.encode()).hexdigest()
    return body


def _ipam(res: Resource) -> dict[str, Any] | None:
    if res.ipam is None:
        return None
    pools = [{k: v for k, v in {"Subnet": p.subnet, "IPRange": p.ip_range, "Gateway": p.gateway,
                                "AuxiliaryAddresses": p.aux_addresses or None}.items() if v}
             for p in res.ipam.config]
    return {"Driver": res.ipam.driver or "default", "Config": pools,
            "Options": dict(res.ipam.options)}


def network_body(project: Project, key: str, res: Resource) -> dict[str, Any]:
    """``POST /networks/create`` for network ``key``."""
    body: dict[str, Any] = {
        "Name": network_name(project, key), "Driver": res.driver or "bridge",
        "Options": {k: v or "" for k, v in res.driver_opts.items()},
        "Labels": _labels(project, res, L.NETWORK, key), "CheckDuplicate": True,
    }
    ipam = _ipam(res)
    if ipam is not None:
        body["IPAM"] = ipam
    return _hashed(body, "Driver", "Options", "IPAM")


def volume_body(project: Project, key: str, res: Resource) -> dict[str, Any]:
    """``POST /volumes/create`` for volume ``key``."""
    return _hashed({"Name": volume_name(project, key), "Driver": res.driver or "local",
                    "DriverOpts": {k: v or "" for k, v in res.driver_opts.items()},
                    "Labels": _labels(project, res, L.VOLUME, key)}, "Driver", "DriverOpts")


def changed_since(found: dict[str, Any], body: dict[str, Any]) -> bool:
    """Whether an existing network/volume was made from another configuration than ``body``
    (one without a config-hash label, made elsewhere, counts as unchanged)."""
    made_with = (found.get("Labels") or {}).get(L.CONFIG_HASH)
    return bool(made_with) and made_with != body["Labels"][L.CONFIG_HASH]
