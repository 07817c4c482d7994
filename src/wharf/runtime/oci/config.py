"""The parts of an OCI ``config.json`` the runtime acts on, as typed records.

``load_config`` reads a bundle's config; sections the runtime passes through untouched
(``linux.seccomp``, ``linux.resources``, hooks) stay plain dicts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wharf.runtime.oci.caps import cap_number
from wharf.runtime.oci.errors import RuntimeCreateError

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Namespace:
    type: str
    path: str = ""


@dataclass(frozen=True)
class Mount:
    destination: str
    type: str = ""
    source: str = ""
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Device:
    path: str
    type: str
    major: int
    minor: int
    file_mode: int = 0o666
    uid: int = 0
    gid: int = 0


@dataclass(frozen=True)
class IdMapping:
    """One line of a user namespace's uid_map or gid_map."""

    container_id: int
    host_id: int
    size: int

    def line(self) -> str:
        return f"{self.container_id} {self.host_id} {self.size}\n"


@dataclass(frozen=True)
class Rlimit:
    type: str
    soft: int
    hard: int


@dataclass(frozen=True)
class Capabilities:
    bounding: tuple[str, ...] = ()
    effective: tuple[str, ...] = ()
    permitted: tuple[str, ...] = ()
    inheritable: tuple[str, ...] = ()
    ambient: tuple[str, ...] = ()


@dataclass(frozen=True)
class Process:
    args: tuple[str, ...]
    env: tuple[str, ...] = ()
    cwd: str = "/"
    uid: int = 0
    gid: int = 0
    additional_gids: tuple[int, ...] = ()
    umask: int | None = None
    terminal: bool = False
    capabilities: Capabilities = field(default_factory=Capabilities)
    rlimits: tuple[Rlimit, ...] = ()
    no_new_privileges: bool = False
    oom_score_adj: int | None = None
    console_size: tuple[int, int] | None = None  # (height, width) of the terminal at start

    def path_env(self) -> str:
        for item in self.env:
            if item.startswith("PATH="):
                return item[5:]
        return DEFAULT_PATH


@dataclass(frozen=True)
class ContainerConfig:
    """A parsed bundle config: rootfs is absolute (resolved against the bundle)."""

    raw: dict[str, Any]
    rootfs: Path
    root_readonly: bool
    process: Process
    hostname: str
    domainname: str
    mounts: tuple[Mount, ...]
    namespaces: tuple[Namespace, ...]
    devices: tuple[Device, ...]
    masked_paths: tuple[str, ...]
    readonly_paths: tuple[str, ...]
    rootfs_propagation: str
    sysctl: dict[str, str]
    cgroups_path: str
    resources: dict[str, Any]
    seccomp: dict[str, Any] | None
    hooks: dict[str, list[dict[str, Any]]]
    annotations: dict[str, str]
    uid_mappings: tuple[IdMapping, ...] = ()
    gid_mappings: tuple[IdMapping, ...] = ()

    def namespace(self, kind: str) -> Namespace | None:
        return next((ns for ns in self.namespaces if ns.type == kind), None)


def _capabilities(raw: dict[str, Any]) -> Capabilities:
    """The capability sets; a name the kernel interface cannot map is an error (the
    runtime spec's MUST), found here, before anything is created."""
    sets = {kind: tuple(raw.get(kind) or ())
            for kind in ("bounding", "effective", "permitted", "inheritable", "ambient")}
    for names in sets.values():
        for name in names:
            cap_number(name)
    return Capabilities(**sets)


def _id_mappings(raw: list[dict[str, Any]] | None, kind: str) -> tuple[IdMapping, ...]:
    mappings = tuple(IdMapping(int(m["containerID"]), int(m["hostID"]), int(m["size"]))
                     for m in raw or ())
    if any(m.size <= 0 or m.container_id < 0 or m.host_id < 0 for m in mappings):
        raise RuntimeCreateError(f"invalid {kind}: {raw}")
    return mappings


def parse_process(raw: dict[str, Any]) -> Process:
    """Turn an OCI ``process`` object into a ``Process``."""
    user = raw.get("user") or {}
    args = raw.get("args") or []
    if not args:
        raise RuntimeCreateError("args must not be empty")
    return Process(
        args=tuple(args),
        env=tuple(raw.get("env") or ()),
        cwd=raw.get("cwd") or "/",
        uid=int(user.get("uid", 0)),
        gid=int(user.get("gid", 0)),
        additional_gids=tuple(int(g) for g in user.get("additionalGids") or ()),
        umask=user.get("umask"),
        terminal=bool(raw.get("terminal", False)),
        capabilities=_capabilities(raw.get("capabilities") or {}),
        rlimits=tuple(Rlimit(r["type"], int(r["soft"]), int(r["hard"]))
                      for r in raw.get("rlimits") or ()),
        no_new_privileges=bool(raw.get("noNewPrivileges", False)),
        oom_score_adj=raw.get("oomScoreAdj"),
        console_size=_console_size(raw.get("consoleSize")),
    )


def _console_size(raw: Any) -> tuple[int, int] | None:
    """OCI ``process.consoleSize`` ({"height", "width"}), None when absent or empty."""
    if not isinstance(raw, dict):
        return None
    height, width = int(raw.get("height") or 0), int(raw.get("width") or 0)
    return (height, width) if height and width else None


def _parse_device(raw: dict[str, Any]) -> Device:
    return Device(
        path=raw["path"], type=raw.get("type", "c"), major=int(raw.get("major", 0)),
        minor=int(raw.get("minor", 0)),
        file_mode=int(raw["fileMode"]) if raw.get("fileMode") is not None else 0o666,
        uid=int(raw.get("uid") or 0), gid=int(raw.get("gid") or 0),
    )


def _check_user_namespace(linux: dict[str, Any]) -> None:
    """runc's rules: mappings need a user namespace; a new one needs mappings."""
    user = [ns for ns in linux.get("namespaces") or () if ns.get("type") == "user"]
    mapped = bool(linux.get("uidMappings") or linux.get("gidMappings"))
    if mapped and not user:
        raise RuntimeCreateError("user namespaces aren't enabled in the config, but "
                                 "uidMappings or gidMappings are set")
    for kind in ("uid", "gid"):
        if user and not user[0].get("path") and not linux.get(f"{kind}Mappings"):
            raise RuntimeCreateError(f"User namespaces enabled, but no {kind} mappings found.")


def parse_config(raw: dict[str, Any], bundle: Path) -> ContainerConfig:
    """Validate and type the fields of ``raw`` (a config.json) the runtime needs."""
    linux = raw.get("linux") or {}
    root = raw.get("root") or {}
    if "process" not in raw:
        raise RuntimeCreateError("config.json has no process")
    rootfs = bundle / (root.get("path") or "rootfs")
    if not rootfs.is_dir():
        raise RuntimeCreateError(f"rootfs ({rootfs}) does not exist")
    _check_user_namespace(linux)
    return ContainerConfig(
        raw=raw,
        rootfs=rootfs.resolve(),
        root_readonly=bool(root.get("readonly", False)),
        process=parse_process(raw["process"]),
        hostname=raw.get("hostname") or "",
        domainname=raw.get("domainname") or "",
        mounts=tuple(Mount(m["destination"], m.get("type") or "", m.get("source") or "",
                           tuple(m.get("options") or ())) for m in raw.get("mounts") or ()),
        namespaces=tuple(Namespace(n["type"], n.get("path") or "")
                         for n in linux.get("namespaces") or ()),
        devices=tuple(_parse_device(d) for d in linux.get("devices") or ()),
        masked_paths=tuple(linux.get("maskedPaths") or ()),
        readonly_paths=tuple(linux.get("readonlyPaths") or ()),
        rootfs_propagation=linux.get("rootfsPropagation") or "",
        sysctl=dict(linux.get("sysctl") or {}),
        cgroups_path=linux.get("cgroupsPath") or "",
        resources=dict(linux.get("resources") or {}),
        seccomp=linux.get("seccomp"),
        hooks=dict(raw.get("hooks") or {}),
        annotations=dict(raw.get("annotations") or {}),
        uid_mappings=_id_mappings(linux.get("uidMappings"), "uidMappings"),
        gid_mappings=_id_mappings(linux.get("gidMappings"), "gidMappings"),
    )


def load_config(bundle: Path) -> ContainerConfig:
    """Read and parse ``<bundle>/config.json``."""
    try:
        raw = json.loads((bundle / "config.json").read_text())
    except FileNotFoundError as exc:
        raise RuntimeCreateError(f"bundle {bundle} has no config.json") from exc
    except (OSError, ValueError) as exc:
        raise RuntimeCreateError(f"cannot read {bundle}/config.json: {exc}") from exc
    if not isinstance(raw, dict):
        raise RuntimeCreateError(f"{bundle}/config.json is not a JSON object")
    try:
        return parse_config(raw, bundle.resolve())
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RuntimeCreateError(f"invalid {bundle}/config.json: {exc!r}") from exc
