"""Ports, expose and volumes of a service, short and long syntax, normalised to one shape each.

Short port syntax is the docker CLI's ``-p`` (:mod:`wharf.lib.portspec`), so ``compose`` and
``run -p`` agree on ranges, IPv6 and protocols.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from wharf.compose.model_base import (
    Ctx,
    as_bool,
    as_dict,
    as_str,
    byte_size,
    only_keys,
    opt_str,
)
from wharf.lib.portspec import PortSpecError, parse_expose, parse_publish

_PORT_KEYS = frozenset({"target", "published", "host_ip", "protocol", "mode"})
# Port metadata the engine has no place for: refused by name rather than dropped.
_PORT_METADATA = frozenset({"name", "app_protocol"})
_VOLUME_KEYS = frozenset({"type", "source", "target", "read_only", "bind", "volume", "tmpfs",
                          "consistency"})  # fmt: skip
_VOLUME_TYPES = frozenset({"volume", "bind", "tmpfs"})


@dataclass(frozen=True)
class PortSpec:
    """One published container port: ``published`` is "" when the engine picks the host port."""

    target: int
    protocol: str = "tcp"
    published: str = ""
    host_ip: str = ""
    mode: str = "ingress"


@dataclass(frozen=True)
class VolumeMount:
    """One mount; ``source`` is "" for an anonymous volume or a tmpfs."""

    type: str
    target: str
    source: str = ""
    read_only: bool = False
    nocopy: bool = False
    tmpfs_size: int | None = None
    create_host_path: bool = True


def _short_port(ctx: Ctx, value: Any) -> list[PortSpec]:
    try:
        mappings = parse_publish(as_str(ctx, value))
    except PortSpecError as err:
        ctx.fail(f"invalid port {value!r}: {err}")
    out = []
    for m in mappings:
        port, proto = m.port.split("/")
        out.append(PortSpec(int(port), proto, m.binding.host_port, m.binding.host_ip))
    return out


def _long_port(ctx: Ctx, value: dict[str, Any]) -> list[PortSpec]:
    """Long syntax; ``mode`` is kept (both modes publish on the one engine's host, as docker
    compose does outside swarm), ``name``/``app_protocol`` are refused naming the field."""
    for key in _PORT_METADATA & value.keys():
        ctx.sub(key).fail("not supported by wharf (port metadata the engine does not keep)")
    only_keys(ctx, value, _PORT_KEYS)
    if "target" not in value:
        ctx.fail("target is required")
    mode = value.get("mode", "ingress")
    if mode not in ("host", "ingress"):
        ctx.sub("mode").fail(f"invalid mode {mode!r}: host or ingress")
    published = "" if value.get("published") is None else as_str(ctx, value["published"])
    text = f"{published}:{as_str(ctx.sub('target'), value['target'])}"
    if value.get("host_ip"):
        text = f"{as_str(ctx, value['host_ip'])}:{text}"
    proto = as_str(ctx.sub("protocol"), value.get("protocol") or "tcp")
    return [replace(p, mode=mode) for p in _short_port(ctx, f"{text}/{proto}")]


def parse_ports(ctx: Ctx, value: Any) -> list[PortSpec]:
    """``ports:`` as one :class:`PortSpec` per container port."""
    if not isinstance(value, list):
        ctx.fail(f"must be a list, not {type(value).__name__}")
    out: list[PortSpec] = []
    for n, item in enumerate(value):
        sub = ctx.sub(str(n))
        out += (
            _long_port(sub, as_dict(sub, item))
            if isinstance(item, dict)
            else _short_port(sub, item)
        )
    return out


def parse_expose_list(ctx: Ctx, value: Any) -> list[str]:
    """``expose:`` as ``["80/tcp", ...]``."""
    if not isinstance(value, list):
        ctx.fail(f"must be a list, not {type(value).__name__}")
    out: list[str] = []
    for n, item in enumerate(value):
        try:
            out += parse_expose(as_str(ctx.sub(str(n)), item))
        except PortSpecError as err:
            ctx.sub(str(n)).fail(f"invalid port {item!r}: {err}")
    return out


def _short_volume(ctx: Ctx, text: str) -> VolumeMount:
    parts = text.split(":")
    if len(parts) == 1:
        return VolumeMount("volume", parts[0])
    if len(parts) > 3 or not all(parts[:2]):
        ctx.fail(f"invalid volume specification {text!r}")
    modes = set((parts[2] if len(parts) == 3 else "rw").split(","))
    if modes & {"z", "Z"}:
        ctx.fail(f"SELinux relabelling ({text!r}): not supported by wharf")
    if not modes <= {"ro", "rw", "nocopy"}:
        ctx.fail(f"invalid volume mode {parts[2]!r} in {text!r}")
    source = parts[0]
    kind = "bind" if source.startswith((".", "/", "~")) else "volume"
    return VolumeMount(kind, parts[1], source, "ro" in modes, "nocopy" in modes)


def _long_volume(ctx: Ctx, value: dict[str, Any]) -> VolumeMount:
    only_keys(ctx, value, _VOLUME_KEYS)
    kind = as_str(ctx.sub("type"), value.get("type", "volume"))
    if kind not in _VOLUME_TYPES:
        ctx.sub("type").fail(f"unsupported volume type {kind!r}")
    if not value.get("target"):
        ctx.fail("target is required")
    bind = _options(ctx.sub("bind"), value.get("bind"), frozenset({"create_host_path"}))
    volume = _options(ctx.sub("volume"), value.get("volume"), frozenset({"nocopy"}))
    tmpfs = _options(ctx.sub("tmpfs"), value.get("tmpfs"), frozenset({"size"}))
    return VolumeMount(
        kind,
        as_str(ctx.sub("target"), value["target"]),
        opt_str(ctx.sub("source"), value.get("source")) or "",
        as_bool(ctx.sub("read_only"), value.get("read_only", False)),
        as_bool(ctx.sub("volume.nocopy"), volume.get("nocopy", False)),
        byte_size(ctx.sub("tmpfs.size"), tmpfs["size"]) if "size" in tmpfs else None,
        as_bool(ctx.sub("bind.create_host_path"), bind.get("create_host_path", True)),
    )


def _options(ctx: Ctx, value: object, allowed: frozenset[str]) -> dict[str, object]:
    """A long-syntax sub-mapping (``bind:``, ``volume:``, ``tmpfs:``), unknown keys refused."""
    data = as_dict(ctx, value if value is not None else {})
    only_keys(ctx, data, allowed)
    return data


def parse_volumes(ctx: Ctx, value: Any) -> list[VolumeMount]:
    """``volumes:`` of a service, short (``src:dst[:ro]``) or long syntax."""
    if not isinstance(value, list):
        ctx.fail(f"must be a list, not {type(value).__name__}")
    return [
        _long_volume(ctx.sub(str(n)), as_dict(ctx, v))
        if isinstance(v, dict)
        else _short_volume(ctx.sub(str(n)), as_str(ctx.sub(str(n)), v))
        for n, v in enumerate(value)
    ]
