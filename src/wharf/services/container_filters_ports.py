"""The ``network``, ``publish``, ``expose`` and ``is-task`` filters of ``GET /containers/json``
(moby's list filters): pure predicates on a container record."""

from __future__ import annotations

import re
from collections.abc import Iterable

from wharf.core.errors import InvalidParameter
from wharf.services.container_record import ContainerRecord

_PORT_SPEC = re.compile(r"(\d+)(?:-(\d+))?(?:/(tcp|udp|sctp))?")
MAX_RANGE = 65536


def port_keys(filter_name: str, values: Iterable[str]) -> set[str]:
    """``80``, ``80/udp`` or ``8000-8080/tcp`` as the ``port/proto`` keys they name."""
    keys: set[str] = set()
    for value in values:
        match = _PORT_SPEC.fullmatch(value)
        first = int(match[1]) if match else -1
        last = int(match[2] or first) if match else -1
        if not match or not 0 < first <= last < MAX_RANGE:
            raise InvalidParameter(f"invalid filter '{filter_name}={value}'")
        keys.update(f"{port}/{match[3] or 'tcp'}" for port in range(first, last + 1))
    return keys


def on_network(record: ContainerRecord, wanted: str) -> bool:
    """On the network of that name, or of an ID starting with ``wanted``."""
    networks = record.network_settings.get("Networks") or {}
    if wanted in networks:
        return True
    return any(str((endpoint or {}).get("NetworkID") or "").startswith(wanted)
               for endpoint in networks.values() if wanted)


def publishes(record: ContainerRecord, keys: set[str]) -> bool:
    """A running container with one of these ports bound on the host."""
    if not record.state.running:
        return False
    ports = record.network_settings.get("Ports") or {}
    return any(ports.get(key) for key in keys)


def exposes(record: ContainerRecord, keys: set[str]) -> bool:
    exposed = record.config.get("ExposedPorts") or {}
    return any(key in exposed for key in keys)


def task_filter(values: list[str]) -> bool:
    """``is-task=true`` keeps swarm tasks only (wharf has none), ``false`` every container."""
    if values == ["true"]:
        return True
    if values == ["false"]:
        return False
    raise InvalidParameter(f"invalid filter 'is-task={','.join(values)}'")
