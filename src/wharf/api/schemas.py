"""The API edge: reading Docker's query strings and bodies, writing Docker's JSON.

Docker's conventions live here so routes stay one line per step: booleans as dockerd's
``BoolValue`` reads them, integers with its error wording, ``filters`` in both of its JSON
forms (bodies decode through ``api.decode``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import web

from wharf.core.errors import InvalidParameter
from wharf.core.timefmt import parse_rfc3339
from wharf.core.units import human_duration
from wharf.services import container_network_ports as netports
from wharf.services import container_network_settings as netviews
from wharf.services.container_record import ContainerRecord

_FALSE_WORDS = frozenset({"", "0", "no", "false", "none"})


def query_bool(request: web.Request, key: str, default: bool = False) -> bool:
    """dockerd's ``BoolValue``: anything but empty/0/no/false/none is true."""
    if key not in request.query:
        return default
    return request.query[key].strip().lower() not in _FALSE_WORDS


def query_int(request: web.Request, key: str, default: int | None = None) -> int | None:
    """An integer query parameter; absent or empty → ``default``; junk → 400."""
    raw = request.query.get(key, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidParameter(f"invalid value for {key}: {raw!r}") from None


def query_filters(request: web.Request) -> dict[str, list[str]]:
    """``filters`` as ``{name: [values]}`` (accepts ``{"k":{"v":true}}`` and ``{"k":["v"]}``)."""
    return parse_filters(request.query.get("filters", ""))


def parse_filters(raw: str) -> dict[str, list[str]]:
    if not raw.strip():
        return {}
    try:
        decoded = json.loads(raw)
    except ValueError as err:
        raise InvalidParameter(f"invalid filter: {err}") from None
    if not isinstance(decoded, dict):
        raise InvalidParameter("invalid filter: filters must be a JSON object")
    result: dict[str, list[str]] = {}
    for name, values in decoded.items():
        if isinstance(values, dict):
            result[name] = [str(v) for v, enabled in values.items() if enabled]
        elif isinstance(values, list):
            result[name] = [str(v) for v in values]
        else:
            raise InvalidParameter(f"invalid filter: values of {name!r} must be a list or map")
    return result


def json_response(payload: Any, status: int = 200) -> web.Response:
    """Docker writes compact JSON followed by a newline."""
    body = json.dumps(payload, separators=(",", ":")) + "\n"
    return web.Response(status=status, body=body.encode(), content_type="application/json")


def no_content() -> web.Response:
    return web.Response(status=204)


# ---- containers: Docker's JSON shapes ---------------------------------------------------------


def container_status_text(record: ContainerRecord, now: float) -> str:
    state = record.state
    if state.status in ("running", "paused"):
        text = "Up " + human_duration(now - parse_rfc3339(state.started_at))
        if state.status == "paused":
            return text + " (Paused)"
        return text + _health_suffix(state.health)
    if state.status == "restarting":
        since = human_duration(now - parse_rfc3339(state.finished_at))
        return f"Restarting ({state.exit_code}) {since} ago"
    if state.status == "exited":
        finished = parse_rfc3339(state.finished_at)
        if not finished:
            return "Created"
        return f"Exited ({state.exit_code}) {human_duration(now - finished)} ago"
    if state.status == "removing":
        return "Removal In Progress"
    if state.status == "dead":
        return "Dead"
    return "Created"


def container_summary(record: ContainerRecord, now: float) -> dict[str, Any]:
    """One entry of ``GET /containers/json``."""
    network_mode = record.host_config.get("NetworkMode", "bridge")
    return {
        "Id": record.id,
        "Names": ["/" + record.name],
        "Image": record.config.get("Image", ""),
        "ImageID": record.image_id,
        "Command": " ".join([record.path, *record.args]),
        "Created": int(parse_rfc3339(record.created)),
        "Ports": netports.summary_ports(record.network_settings.get("Ports") or {}),
        "Labels": record.labels,
        "State": record.state.status,
        "Status": container_status_text(record, now),
        "HostConfig": {"NetworkMode": network_mode},
        "NetworkSettings": {"Networks": record.network_settings.get("Networks") or {}},
        "Mounts": record.mounts,
    }


def _health_suffix(health: dict[str, Any] | None) -> str:
    """dockerd's ``Health.String()``: `` (health: starting)``, `` (healthy)``..."""
    if not health:
        return ""
    status = str(health.get("Status") or "")
    return " (health: starting)" if status == "starting" else f" ({status})"


def container_state(record: ContainerRecord) -> dict[str, Any]:
    """inspect's ``State`` (a container restarting by its policy counts as running, as in
    dockerd; ``Health`` only for a container with a health check)."""
    state = record.state
    view: dict[str, Any] = {
        "Status": state.status, "Running": state.running or state.status == "restarting",
        "Paused": state.paused, "Restarting": state.status == "restarting",
        "OOMKilled": state.oom_killed, "Dead": state.dead, "Pid": state.pid,
        "ExitCode": state.exit_code, "Error": state.error, "StartedAt": state.started_at,
        "FinishedAt": state.finished_at,
    }
    if state.health is not None:
        view["Health"] = state.health
    return view


def container_inspect(
    record: ContainerRecord, container_dir: Path, exec_ids: list[str]
) -> dict[str, Any]:
    """``GET /containers/{id}/json``: Docker's full shape."""
    has_etc = record.has_been_started
    return {
        "Id": record.id,
        "Created": record.created,
        "Path": record.path,
        "Args": record.args,
        "State": container_state(record),
        "Image": record.image_id,
        "ResolvConfPath": str(container_dir / "resolv.conf") if has_etc else "",
        "HostnamePath": str(container_dir / "hostname") if has_etc else "",
        "HostsPath": str(container_dir / "hosts") if has_etc else "",
        "LogPath": str(container_dir / f"{record.id}-json.log") if has_etc else "",
        "Name": "/" + record.name,
        "RestartCount": record.restart_count,
        "Driver": record.graph_driver.get("Name", "overlay2"),
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": exec_ids or None,
        "HostConfig": record.host_config,
        "GraphDriver": record.graph_driver or {"Name": "overlay2", "Data": None},
        "Mounts": record.mounts,
        "Config": record.config,
        "NetworkSettings": record.network_settings or netviews.empty_settings(),
    }
