"""The OCI runtime spec (``config.json``) of a container, with Docker's defaults.

``build_spec`` turns Docker's Config + HostConfig (already defaulted by the container service,
as :class:`SpecInput`) into the dict the runtime reads. The defaults and their reasons are in
``wharf.runtime.defaults`` and SECURITY.md; the only file system access is reading the rootfs's
``/etc/passwd`` and ``/etc/group`` (``wharf.runtime.users``) and the host's ``/dev`` for a
privileged container. A seccomp profile arrives as JSON (the docker CLI reads the file and sends
its content, as dockerd expects): the daemon never opens a path a client names.
``check_security`` runs at create the parts that can refuse a request (capabilities, security
options, the seccomp profile), so a bad value is a 400 then, not a failed start.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wharf.core.errors import InvalidParameter, RuntimeFailure
from wharf.runtime import defaults
from wharf.runtime.seccomp_profile import default_profile, to_oci
from wharf.runtime.seccomp_profile import host as seccomp_host
from wharf.runtime.seccomp_types import check_profile
from wharf.runtime.users import lookup_groups, lookup_user, resolve_user

__all__ = [
    "SpecInput",
    "build_spec",
    "check_security",
    "default_spec",
    "effective_caps",
    "host_devices",
    "normalize_cap",
    "resolve_user",
]

OCI_VERSION = "1.0.2"
MAX_PROFILE_BYTES = 1024 * 1024
HOST_SHAREABLE = ("pid", "ipc", "uts", "network", "cgroup")


@dataclass
class SpecInput:
    """Docker's Config + HostConfig, already defaulted by the container service."""

    container_id: str
    rootfs: Path
    args: list[str]
    env: list[str] = field(default_factory=list)
    cwd: str = "/"
    user: str = ""
    hostname: str = ""
    tty: bool = False
    open_stdin: bool = False
    privileged: bool = False
    cap_add: list[str] = field(default_factory=list)
    cap_drop: list[str] = field(default_factory=list)
    readonly_rootfs: bool = False
    memory: int = 0
    memory_swap: int = 0
    nano_cpus: int = 0
    cpu_shares: int = 0
    cpu_quota: int = 0
    cpu_period: int = 0
    pids_limit: int | None = None
    security_opt: list[str] = field(default_factory=list)
    extra_mounts: list[dict[str, Any]] = field(default_factory=list)
    etc_files: dict[str, Path] = field(default_factory=dict)
    netns_path: str | None = None
    cgroups_path: str = ""
    shm_size: int = 0
    init: bool = False
    group_add: list[str] = field(default_factory=list)
    domainname: str = ""
    oom_score_adj: int | None = None
    host_namespaces: list[str] = field(default_factory=list)  # of HOST_SHAREABLE
    annotations: dict[str, str] = field(default_factory=dict)
    masked_paths: list[str] | None = None  # None: Docker's defaults
    readonly_paths: list[str] | None = None
    console_size: tuple[int, int] | None = None  # (height, width)


@dataclass(frozen=True)
class _SecurityOptions:
    seccomp_profile: dict[str, Any] | None  # None = unconfined
    no_new_privileges: bool
    unconfined_paths: bool = False  # systempaths=unconfined


# ---- capabilities ---------------------------------------------------------------------------


def _known_caps() -> list[str]:
    """Capabilities this host can grant: those in our own bounding set (as moby's ``initCaps``:
    a daemon that is itself in a container cannot hand out what it does not hold)."""
    try:
        status = Path("/proc/self/status").read_text()
        bounding = int(status.split("CapBnd:", 1)[1].split()[0], 16)
    except (OSError, IndexError, ValueError):
        return list(defaults.ALL_CAPS)
    return [cap for bit, cap in enumerate(defaults.ALL_CAPS) if bounding >> bit & 1]


def normalize_cap(name: str) -> str:
    """``"net_admin"``, ``"CAP_NET_ADMIN"`` → ``"CAP_NET_ADMIN"``; ``"all"`` → ``"ALL"``."""
    upper = name.strip().upper()
    if upper == "ALL":
        return upper
    full = upper if upper.startswith("CAP_") else "CAP_" + upper
    if full not in defaults.ALL_CAPS:
        raise InvalidParameter(f'unknown capability: "{full}"')
    return full


def effective_caps(privileged: bool, cap_add: list[str], cap_drop: list[str]) -> list[str]:
    """The container's capability set, as moby's ``caps.TweakCapabilities``."""
    known = _known_caps()
    if privileged:
        return known
    adds = [normalize_cap(c) for c in cap_add]
    drops = [normalize_cap(c) for c in cap_drop]
    if "ALL" in adds:
        return [c for c in known if c not in drops]
    if "ALL" in drops:
        base: list[str] = []
    else:
        base = [c for c in defaults.DEFAULT_CAPS if c not in drops]
    for cap in adds:
        if cap not in base:
            base.append(cap)
    return base


# ---- security options -----------------------------------------------------------------------


def _load_profile(text: str) -> dict[str, Any]:
    """The profile's JSON, as the docker CLI sends it (dockerd does not read files either:
    ``seccomp=/path`` sent raw fails to parse, as it does there)."""
    if len(text) > MAX_PROFILE_BYTES:
        raise InvalidParameter("Decoding seccomp profile failed: the profile is too large")
    try:
        profile = json.loads(text)
    except ValueError as e:
        raise InvalidParameter(f"Decoding seccomp profile failed: {e}") from e
    if not isinstance(profile, dict):
        raise InvalidParameter("Decoding seccomp profile failed: not a JSON object")
    return profile


_BOOL_WORDS = {"1": True, "t": True, "T": True, "true": True, "TRUE": True, "True": True,
               "0": False, "f": False, "F": False, "false": False, "FALSE": False,
               "False": False}  # Go's strconv.ParseBool


def _parse_security_opts(opts: list[str], privileged: bool) -> _SecurityOptions:
    """moby's ``parseSecurityOpt`` (and its messages) for what wharf implements; AppArmor
    profiles and SELinux labels other than "off" are refused, not ignored."""
    profile: dict[str, Any] | None = None if privileged else default_profile()
    no_new_privs = unconfined_paths = False
    for opt in opts:
        if opt == "no-new-privileges":
            no_new_privs = True
            continue
        if opt == "disable":  # the old spelling of label=disable
            continue
        key, sep, value = opt.partition("=") if "=" in opt else opt.partition(":")
        if not sep:
            raise InvalidParameter(f"invalid --security-opt 1: {opt!r}")
        if key == "no-new-privileges":
            if value not in _BOOL_WORDS:
                raise InvalidParameter(f"invalid --security-opt 2: {opt!r}")
            no_new_privs = _BOOL_WORDS[value]
        elif key == "seccomp":
            profile = None if value == "unconfined" else _load_profile(value)
        elif key == "systempaths":
            if value != "unconfined":
                raise InvalidParameter(f"invalid --security-opt 2: {opt!r}")
            unconfined_paths = True
        elif key in ("apparmor", "label", "writable-cgroups"):
            _refuse_unless_off(key, value, opt)
        else:
            raise InvalidParameter(f"invalid --security-opt 2: {opt!r}")
    return _SecurityOptions(None if privileged else profile, no_new_privs, unconfined_paths)


def _refuse_unless_off(key: str, value: str, opt: str) -> None:
    """wharf confines with neither AppArmor nor SELinux and mounts cgroups read-only: asking
    for exactly that is fine; anything else would be silently ignored, so it is refused."""
    if (key, value) in (("apparmor", "unconfined"), ("label", "disable")):
        return
    if key == "writable-cgroups" and value in _BOOL_WORDS and not _BOOL_WORDS[value]:
        return
    raise InvalidParameter(f"--security-opt {opt} is not supported yet")


# ---- process --------------------------------------------------------------------------------


def _env(inp: SpecInput, home: str) -> list[str]:
    names = {e.partition("=")[0] for e in inp.env}
    env: list[str] = []
    if "PATH" not in names:
        env.append(f"PATH={defaults.DEFAULT_PATH}")
    if "HOSTNAME" not in names and inp.hostname:
        env.append(f"HOSTNAME={inp.hostname}")
    if inp.tty and "TERM" not in names:
        env.append("TERM=xterm")
    env.extend(inp.env)
    if "HOME" not in names:
        env.append(f"HOME={home}")
    return env


def _process(inp: SpecInput, caps: list[str], no_new_privs: bool) -> dict[str, Any]:
    user = lookup_user(inp.rootfs, inp.user)
    oci_user: dict[str, Any] = {"uid": user.uid, "gid": user.gid}
    extra_gids = list(user.extra_gids)
    extra_gids += [g for g in lookup_groups(inp.rootfs, inp.group_add) if g not in extra_gids]
    if extra_gids:
        oci_user["additionalGids"] = extra_gids
    process: dict[str, Any] = {
        "terminal": inp.tty,
        "user": oci_user,
        "args": [INIT_PATH, "--", *inp.args] if inp.init else list(inp.args),
        "env": _env(inp, user.home),
        "cwd": inp.cwd or "/",
        "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
        "noNewPrivileges": no_new_privs,
    }
    if inp.oom_score_adj is not None:
        process["oomScoreAdj"] = inp.oom_score_adj
    if inp.tty and inp.console_size and all(inp.console_size):
        process["consoleSize"] = {"height": inp.console_size[0], "width": inp.console_size[1]}
    return process


# ---- mounts and linux -----------------------------------------------------------------------


def _bind(destination: str, source: Path, readonly: bool) -> dict[str, Any]:
    options = ["rbind", "rprivate"] + (["ro"] if readonly else [])
    return {"destination": destination, "type": "bind", "source": str(source), "options": options}


def _mounts(inp: SpecInput) -> list[dict[str, Any]]:
    user_mounts = [
        _bind(dest, src, inp.readonly_rootfs) for dest, src in sorted(inp.etc_files.items())
    ]
    user_mounts += [dict(m) for m in inp.extra_mounts]
    if inp.init:
        user_mounts.append(_init_mount())
    taken = {m["destination"].rstrip("/") or "/" for m in user_mounts}
    kept = [
        _host_ipc_mount(m) if "ipc" in inp.host_namespaces else m
        for m in defaults.default_mounts(inp.privileged, inp.shm_size)
        if m["destination"] not in taken
        and not (m["destination"].startswith("/dev/") and "/dev" in taken)
    ]
    user_mounts.sort(key=lambda m: len([p for p in m["destination"].split("/") if p]))
    return kept + user_mounts


def _host_ipc_mount(mount: dict[str, Any]) -> dict[str, Any]:
    """``--ipc host``: the host's /dev/shm, as dockerd binds it (an mqueue mount in the host's
    IPC namespace is the host's queues already)."""
    if mount["destination"] == "/dev/shm":
        return {"destination": mount["destination"], "type": "bind",
                "source": mount["destination"], "options": ["rbind", "nosuid", "noexec", "nodev"]}
    return mount


INIT_PATH = "/sbin/docker-init"
INIT_BINARIES = ("/usr/bin/tini-static", "/usr/bin/docker-init", "/usr/bin/tini")


def find_init_binary() -> Path:
    """The host's static init for ``--init`` (Docker ships tini as ``docker-init``)."""
    for candidate in INIT_BINARIES:
        if os.access(candidate, os.X_OK):
            return Path(candidate)
    raise RuntimeFailure("docker-init binary not found: install Debian's tini package")


def _init_mount() -> dict[str, Any]:
    """Bind the static init read-only at /sbin/docker-init, as dockerd does for ``--init``."""
    return {"destination": INIT_PATH, "type": "bind", "source": str(find_init_binary()),
            "options": ["bind", "ro", "nosuid", "nodev"]}


def _resources(inp: SpecInput) -> dict[str, Any]:
    res: dict[str, Any] = {"devices": defaults.device_rules(inp.privileged)}
    if inp.memory > 0:
        swap = inp.memory_swap if inp.memory_swap != 0 else 2 * inp.memory
        res["memory"] = {"limit": inp.memory, "swap": swap}
    cpu: dict[str, Any] = {}
    if inp.cpu_shares > 0:
        cpu["shares"] = inp.cpu_shares
    if inp.nano_cpus > 0:
        period = defaults.DEFAULT_CPU_PERIOD
        cpu["period"] = period
        cpu["quota"] = inp.nano_cpus * period // 1_000_000_000
    else:
        if inp.cpu_period > 0:
            cpu["period"] = inp.cpu_period
        if inp.cpu_quota > 0:
            cpu["quota"] = inp.cpu_quota
    if cpu:
        res["cpu"] = cpu
    if inp.pids_limit is not None and inp.pids_limit > 0:
        res["pids"] = {"limit": inp.pids_limit}
    return res


def host_devices(dev: Path = Path("/dev"), limit: int = 4096) -> list[dict[str, Any]]:
    """The host's device nodes, as a privileged container gets them (moby ``HostDevices``).

    /dev/pts, /dev/shm and /dev/mqueue belong to the container; symlinks are not followed.
    """
    devices: list[dict[str, Any]] = []
    skip = {dev / "pts", dev / "shm", dev / "mqueue"}
    pending = [dev]
    while pending and len(devices) < limit:
        directory = pending.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            path = Path(entry.path)
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                if path not in skip:
                    pending.append(path)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                devices.append({
                    "path": str(path), "type": "c" if stat.S_ISCHR(st.st_mode) else "b",
                    "major": os.major(st.st_rdev), "minor": os.minor(st.st_rdev),
                    "fileMode": stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid,
                })
    return devices


def _namespaces(netns_path: str | None, host: list[str] | None = None) -> list[dict[str, str]]:
    """New namespaces but those shared with the host (``--pid host`` and the like)."""
    shared = set(host or ())
    namespaces = [{"type": t} for t in defaults.NAMESPACES if t not in shared]
    if netns_path and "network" not in shared:
        namespaces = [ns for ns in namespaces if ns["type"] != "network"]
        namespaces.append({"type": "network", "path": netns_path})
    if "cgroup" not in shared and Path("/sys/fs/cgroup/cgroup.controllers").exists():
        namespaces.append({"type": "cgroup"})  # Docker's default on cgroup v2 hosts
    return namespaces


def _linux(inp: SpecInput, caps: list[str], sec: _SecurityOptions) -> dict[str, Any]:
    unconfined = inp.privileged or sec.unconfined_paths
    masked = defaults.MASKED_PATHS if inp.masked_paths is None else inp.masked_paths
    readonly = defaults.READONLY_PATHS if inp.readonly_paths is None else inp.readonly_paths
    linux: dict[str, Any] = {
        "resources": _resources(inp),
        "namespaces": _namespaces(inp.netns_path, inp.host_namespaces),
        "maskedPaths": [] if unconfined else list(masked),
        "readonlyPaths": [] if unconfined else list(readonly),
    }
    if inp.privileged:
        linux["devices"] = host_devices()
    if inp.cgroups_path:
        linux["cgroupsPath"] = inp.cgroups_path
    if sec.seccomp_profile is not None:
        linux["seccomp"] = _seccomp(sec.seccomp_profile, caps)
    return linux


def _seccomp(profile: dict[str, Any], caps: list[str]) -> dict[str, Any]:
    check_profile(profile)
    try:
        return to_oci(profile, caps, seccomp_host())
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise InvalidParameter(f"invalid seccomp profile: {e}") from e


def check_security(privileged: bool, cap_add: list[str], cap_drop: list[str],
                   security_opt: list[str]) -> None:
    """What ``build_spec`` would refuse of these settings, refused now (at create)."""
    caps = effective_caps(privileged, cap_add, cap_drop)
    sec = _parse_security_opts(security_opt, privileged)
    custom = any(opt.startswith(("seccomp=", "seccomp:")) for opt in security_opt)
    if custom and sec.seccomp_profile is not None:  # Docker's own profile is known good
        _seccomp(sec.seccomp_profile, caps)


def build_spec(inp: SpecInput) -> dict[str, Any]:
    """The OCI ``config.json`` for ``inp`` (docs/contracts.md)."""
    if not inp.args:
        raise InvalidParameter("no command specified")
    caps = effective_caps(inp.privileged, inp.cap_add, inp.cap_drop)
    sec = _parse_security_opts(inp.security_opt, inp.privileged)
    spec: dict[str, Any] = {
        "ociVersion": OCI_VERSION,
        "process": _process(inp, caps, sec.no_new_privileges),
        "root": {"path": str(inp.rootfs), "readonly": inp.readonly_rootfs},
        "mounts": _mounts(inp),
        "linux": _linux(inp, caps, sec),
    }
    if "uts" not in inp.host_namespaces:  # the host's own names are not the container's
        spec["hostname"] = inp.hostname
        if inp.domainname:
            spec["domainname"] = inp.domainname
    if inp.annotations:
        spec["annotations"] = dict(inp.annotations)
    return spec


def default_spec(
    rootfs: str = "rootfs", args: list[str] | None = None, terminal: bool = False
) -> dict[str, Any]:
    """A self-contained spec with Docker's defaults (as ``runc spec``, but Docker's profile)."""
    caps = list(defaults.DEFAULT_CAPS)
    env = [f"PATH={defaults.DEFAULT_PATH}"] + (["TERM=xterm"] if terminal else [])
    return {
        "ociVersion": OCI_VERSION,
        "process": {
            "terminal": terminal,
            "user": {"uid": 0, "gid": 0},
            "args": list(args) if args is not None else ["sh"],
            "env": env,
            "cwd": "/",
            "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
            "noNewPrivileges": False,
        },
        "root": {"path": rootfs, "readonly": False},
        "hostname": "wharf",
        "mounts": defaults.default_mounts(False, 0),
        "linux": {
            "resources": {"devices": defaults.device_rules(False)},
            "namespaces": _namespaces(None),
            "maskedPaths": list(defaults.MASKED_PATHS),
            "readonlyPaths": list(defaults.READONLY_PATHS),
            "seccomp": to_oci(default_profile(), caps, seccomp_host()),
        },
    }
