"""The structured parts of a service: build, healthcheck, depends_on, networks, deploy limits."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from wharf.compose.model_base import (
    Ctx,
    as_bool,
    as_dict,
    as_int,
    as_str,
    byte_size,
    duration,
    only_keys,
    opt_str,
    str_list,
    str_map,
)

CONDITIONS = frozenset({"service_started", "service_healthy", "service_completed_successfully"})
_RESTART = re.compile(r"^(no|always|unless-stopped|on-failure(:\d+)?)$")


@dataclass(frozen=True)
class Build:
    context: str = "."
    dockerfile: str = "Dockerfile"
    args: dict[str, str | None] = field(default_factory=dict)
    target: str | None = None


@dataclass(frozen=True)
class Healthcheck:
    """``test`` is Docker's form (``["CMD-SHELL", "..."]``); ``disable`` means ``["NONE"]``."""

    test: list[str] = field(default_factory=list)
    interval: float | None = None
    timeout: float | None = None
    retries: int | None = None
    start_period: float | None = None
    disable: bool = False
    start_interval: float | None = None


@dataclass(frozen=True)
class Dependency:
    condition: str = "service_started"
    restart: bool = False
    required: bool = True


@dataclass(frozen=True)
class NetworkAttach:
    aliases: list[str] = field(default_factory=list)
    ipv4_address: str | None = None


@dataclass(frozen=True)
class Limits:
    """``deploy.resources.limits``: CPUs as a fraction, memory in bytes, a pids count."""

    cpus: float | None = None
    memory: int | None = None
    pids: int | None = None


def parse_build(ctx: Ctx, value: Any) -> Build:
    if isinstance(value, str):
        return Build(context=value)
    data = as_dict(ctx, value)
    only_keys(ctx, data, frozenset({"context", "dockerfile", "args", "target"}))
    return Build(
        as_str(ctx.sub("context"), data.get("context", ".")),
        as_str(ctx.sub("dockerfile"), data.get("dockerfile", "Dockerfile")),
        str_map(ctx.sub("args"), data.get("args", {})),
        opt_str(ctx.sub("target"), data.get("target")),
    )


def _test(ctx: Ctx, value: Any) -> list[str]:
    if isinstance(value, str):
        return ["CMD-SHELL", value]
    test = str_list(ctx, value)
    if test and test[0] not in ("CMD", "CMD-SHELL", "NONE"):
        ctx.fail(f"must start with CMD, CMD-SHELL or NONE, not {test[0]!r}")
    return test


def parse_healthcheck(ctx: Ctx, value: Any) -> Healthcheck:
    data = as_dict(ctx, value)
    keys = {"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"}
    only_keys(ctx, data, frozenset(keys))
    test = _test(ctx.sub("test"), data["test"]) if "test" in data else []
    disable = as_bool(ctx.sub("disable"), data.get("disable", False)) or test == ["NONE"]

    def _dur(key: str) -> float | None:
        return duration(ctx.sub(key), data[key]) if key in data else None

    retries = as_int(ctx.sub("retries"), data["retries"]) if "retries" in data else None
    return Healthcheck(
        ["NONE"] if disable else test,
        _dur("interval"), _dur("timeout"), retries, _dur("start_period"), disable,
        _dur("start_interval"),
    )  # fmt: skip


def parse_depends_on(ctx: Ctx, value: Any) -> dict[str, Dependency]:
    if isinstance(value, list):
        return {name: Dependency() for name in str_list(ctx, value)}
    out: dict[str, Dependency] = {}
    for name, spec in as_dict(ctx, value).items():
        sub = ctx.sub(name)
        data = as_dict(sub, spec or {})
        only_keys(sub, data, frozenset({"condition", "restart", "required"}))
        cond = as_str(sub.sub("condition"), data.get("condition", "service_started"))
        if cond not in CONDITIONS:
            sub.sub("condition").fail(f"invalid condition {cond!r}")
        restart = as_bool(sub.sub("restart"), data.get("restart", False))
        out[name] = Dependency(cond, restart, as_bool(sub, data.get("required", True)))
    return out


def parse_networks(ctx: Ctx, value: Any) -> dict[str, NetworkAttach]:
    if isinstance(value, list):
        return {name: NetworkAttach() for name in str_list(ctx, value)}
    out: dict[str, NetworkAttach] = {}
    for name, spec in as_dict(ctx, value).items():
        sub = ctx.sub(name)
        data = as_dict(sub, spec or {})
        only_keys(sub, data, frozenset({"aliases", "ipv4_address"}))
        aliases = str_list(sub.sub("aliases"), data.get("aliases", []))
        address = opt_str(sub.sub("ipv4_address"), data.get("ipv4_address"))
        if address is not None:
            try:
                ipaddress.IPv4Address(address)
            except ValueError:
                sub.sub("ipv4_address").fail(f"invalid IPv4 address {address!r}")
        out[name] = NetworkAttach(aliases, address)
    return out


def parse_deploy(ctx: Ctx, value: Any) -> Limits:
    data = as_dict(ctx, value)
    only_keys(ctx, data, frozenset({"resources", "replicas"}))
    res = ctx.sub("resources")
    resources = as_dict(res, data.get("resources", {}))
    only_keys(res, resources, frozenset({"limits"}))
    lim = res.sub("limits")
    limits = as_dict(lim, resources.get("limits", {}))
    only_keys(lim, limits, frozenset({"cpus", "memory", "pids"}))
    cpus = None
    if "cpus" in limits:
        try:
            cpus = float(as_str(lim.sub("cpus"), limits["cpus"]))
        except ValueError:
            lim.sub("cpus").fail(f"invalid number {limits['cpus']!r}")
    memory = byte_size(lim.sub("memory"), limits["memory"]) if "memory" in limits else None
    pids = as_int(lim.sub("pids"), limits["pids"]) if "pids" in limits else None
    return Limits(cpus, memory, pids)


def parse_restart(ctx: Ctx, value: Any) -> str:
    text = "no" if value is False else as_str(ctx, value)
    if not _RESTART.match(text):
        ctx.fail(f"invalid restart policy {text!r}")
    return text


def deploy_replicas(ctx: Ctx, value: Any) -> int | None:
    """``deploy.replicas`` (the service's scale), None when not given."""
    if not isinstance(value, dict) or value.get("replicas") is None:
        return None
    count = as_int(ctx.sub("replicas"), value["replicas"])
    if count < 0:
        ctx.sub("replicas").fail(f"must be at least 0, not {count}")
    return count


PULL_POLICIES = frozenset({"always", "never", "missing", "if_not_present", "build"})


def parse_pull_policy(ctx: Ctx, value: Any) -> str:
    """``pull_policy``; ``if_not_present`` is ``missing``. The periodic ones (``daily``,
    ``weekly``, ``every_<duration>``) are refused by name."""
    text = as_str(ctx, value)
    if text not in PULL_POLICIES:
        ctx.fail(f"pull_policy {text!r} is not supported by wharf (always, never, missing, "
                 "build)")
    return "missing" if text == "if_not_present" else text
