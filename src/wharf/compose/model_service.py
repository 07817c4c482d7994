"""One service of a compose file as a typed, normalised :class:`Service`."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wharf.compose.model_base import (
    Ctx,
    as_bool,
    as_dict,
    as_int,
    as_str,
    duration,
    only_keys,
    opt_str,
    str_list,
    str_map,
)
from wharf.compose.model_fields import SUPPORTED, UNSUPPORTED
from wharf.compose.model_parts import (
    Build,
    Dependency,
    Healthcheck,
    Limits,
    NetworkAttach,
    deploy_replicas,
    parse_build,
    parse_depends_on,
    parse_deploy,
    parse_healthcheck,
    parse_networks,
    parse_pull_policy,
    parse_restart,
)
from wharf.compose.model_ports import (
    PortSpec,
    VolumeMount,
    parse_expose_list,
    parse_ports,
    parse_volumes,
)
from wharf.lib.extrahosts import ExtraHostError, normalize_extra_host


@dataclass(frozen=True)
class EnvFile:
    """One ``env_file`` entry; a missing file is an error unless ``required`` is false."""

    path: str
    required: bool = True


@dataclass(frozen=True)
class Service:
    """A service with each field in one shape, whatever syntax the file used."""

    name: str
    image: str | None = None
    build: Build | None = None
    command: list[str] | None = None
    entrypoint: list[str] | None = None
    environment: dict[str, str | None] = field(default_factory=dict)
    env_file: list[EnvFile] = field(default_factory=list)
    ports: list[PortSpec] = field(default_factory=list)
    expose: list[str] = field(default_factory=list)
    volumes: list[VolumeMount] = field(default_factory=list)
    tmpfs: list[str] = field(default_factory=list)
    networks: dict[str, NetworkAttach] = field(default_factory=dict)
    depends_on: dict[str, Dependency] = field(default_factory=dict)
    healthcheck: Healthcheck | None = None
    restart: str = "no"
    labels: dict[str, str] = field(default_factory=dict)
    working_dir: str | None = None
    user: str | None = None
    hostname: str | None = None
    extra_hosts: list[str] = field(default_factory=list)
    dns: list[str] = field(default_factory=list)
    init: bool | None = None
    stop_signal: str | None = None
    stop_grace_period: float | None = None
    limits: Limits = field(default_factory=Limits)
    profiles: list[str] = field(default_factory=list)
    scale: int | None = None
    pull_policy: str | None = None  # None: missing (pull when absent)


def _argv(ctx: Ctx, value: Any) -> list[str] | None:
    """``command``/``entrypoint``: a string is split as a shell would, a list kept."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as err:
            ctx.fail(f"invalid command line {value!r}: {err}")
    return str_list(ctx, value)


def _env_file(ctx: Ctx, value: Any) -> list[EnvFile]:
    """Paths or ``{path, required}``; ``format`` (raw files) is not modelled, so refused."""
    if not isinstance(value, list):
        return [EnvFile(p) for p in str_list(ctx, value)]
    out: list[EnvFile] = []
    for n, item in enumerate(value):
        sub = ctx.sub(str(n))
        if not isinstance(item, dict):
            out.append(EnvFile(as_str(sub, item)))
            continue
        only_keys(sub, item, frozenset({"path", "required"}))
        required = as_bool(sub.sub("required"), item.get("required", True))
        out.append(EnvFile(as_str(sub.sub("path"), item.get("path")), required))
    return out


def _labels(ctx: Ctx, value: Any) -> dict[str, str]:
    """Labels: a key without value is an empty label (not an environment lookup)."""
    return {k: v or "" for k, v in str_map(ctx, value).items()}


def _extra_hosts(ctx: Ctx, value: Any) -> list[str]:
    """``host:ip``, ``host=ip`` or a mapping, checked and written as ``host:ip`` as the docker
    CLI sends ``--add-host`` (one parser: :mod:`wharf.lib.extrahosts`)."""
    if isinstance(value, list):
        items = [as_str(ctx.sub(str(n)), v) for n, v in enumerate(value)]
    else:
        items = [f"{k}={v}" for k, v in str_map(ctx, value, allow_none=False).items()]
    out = []
    for item in items:
        try:
            out.append(normalize_extra_host(item))
        except ExtraHostError as err:
            ctx.fail(str(err))
    return out


def _scale(ctx: Ctx, value: Any) -> int:
    count = as_int(ctx, value)
    if count < 0:
        ctx.fail(f"must be at least 0, not {count}")
    return count


_FIELDS: dict[str, tuple[str, Callable[[Ctx, Any], Any]]] = {
    "image": ("image", opt_str), "build": ("build", parse_build), "command": ("command", _argv),
    "entrypoint": ("entrypoint", _argv), "environment": ("environment", str_map),
    "env_file": ("env_file", _env_file), "ports": ("ports", parse_ports),
    "expose": ("expose", parse_expose_list), "volumes": ("volumes", parse_volumes),
    "tmpfs": ("tmpfs", str_list), "networks": ("networks", parse_networks),
    "depends_on": ("depends_on", parse_depends_on),
    "healthcheck": ("healthcheck", parse_healthcheck), "restart": ("restart", parse_restart),
    "labels": ("labels", _labels), "working_dir": ("working_dir", opt_str),
    "user": ("user", opt_str), "hostname": ("hostname", opt_str),
    "extra_hosts": ("extra_hosts", _extra_hosts), "dns": ("dns", str_list),
    "init": ("init", as_bool), "stop_signal": ("stop_signal", opt_str),
    "stop_grace_period": ("stop_grace_period", duration), "deploy": ("limits", parse_deploy),
    "profiles": ("profiles", str_list), "scale": ("scale", _scale),
    "pull_policy": ("pull_policy", parse_pull_policy),
}  # fmt: skip


def parse_service(file: str | None, name: str, raw: Any) -> Service:
    """Build one :class:`Service`, rejecting unsupported and unknown fields by name."""
    ctx = Ctx(file, f"services.{name}")
    data = as_dict(ctx, raw if raw is not None else {})
    values: dict[str, Any] = {}
    for key, value in data.items():
        sub = ctx.sub(key)
        if key.startswith("x-"):
            continue
        if key in UNSUPPORTED:
            sub.fail("not supported by wharf")
        if key not in SUPPORTED:
            ctx.fail(f"additional property {key} is not allowed")
        attr, parse = _FIELDS[key]
        if value is not None:
            values[attr] = parse(sub, value)
    replicas = deploy_replicas(ctx.sub("deploy"), data.get("deploy"))
    if replicas is not None:
        if values.get("scale", replicas) != replicas:
            ctx.fail("can't set distinct values on 'scale' and 'deploy.replicas'")
        values["scale"] = replicas
    if "image" not in values and "build" not in values:
        ctx.fail("has neither an image nor a build context specified")
    return Service(name, **values)
