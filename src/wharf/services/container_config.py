"""Turning a create request (Docker's Config + HostConfig) and an image into a container's
settings: merged config, defaulted HostConfig, the OCI spec fields, the /etc files."""

from __future__ import annotations

import signal as signal_module
import socket
from pathlib import Path
from typing import Any

from wharf.core.errors import InvalidParameter
from wharf.services.container_health_config import merge_healthcheck
from wharf.services.container_mounts import bind_mounts as bind_mounts  # re-exported
from wharf.services.container_mounts import mount_points as mount_points
from wharf.services.container_mounts import parse_bind as parse_bind
from wharf.services.container_mounts import user_mounts

DEFAULT_STOP_TIMEOUT = 10
DEFAULT_SHM_SIZE = 64 * 1024 * 1024


def merge_env(image_env: list[str], user_env: list[str]) -> list[str]:
    """Image variables overridden by the user's (same key), in Docker's order."""
    merged: dict[str, str] = {}
    for entry in [*image_env, *user_env]:
        key = entry.split("=", 1)[0]
        merged.pop(key, None)
        merged[key] = entry
    return list(merged.values())


def merge_config(user: dict[str, Any], image_config: dict[str, Any]) -> dict[str, Any]:
    """Docker's Config for a new container: the user's values over the image's defaults."""
    config = dict(user)
    user_entrypoint = user.get("Entrypoint")
    user_cmd = user.get("Cmd")
    if isinstance(user_entrypoint, str):
        user_entrypoint = [user_entrypoint] if user_entrypoint else []
    if isinstance(user_cmd, str):
        user_cmd = [user_cmd]
    if user_entrypoint is not None:
        config["Entrypoint"] = user_entrypoint or None
        config["Cmd"] = user_cmd or None
    else:
        config["Entrypoint"] = image_config.get("Entrypoint")
        config["Cmd"] = user_cmd if user_cmd else image_config.get("Cmd")
    if isinstance(config.get("Shell"), str):
        config["Shell"] = [config["Shell"]]
    config["Env"] = merge_env(list(image_config.get("Env") or []), list(user.get("Env") or []))
    config["WorkingDir"] = user.get("WorkingDir") or image_config.get("WorkingDir") or ""
    config["User"] = user.get("User") or image_config.get("User") or ""
    labels = dict(image_config.get("Labels") or {})
    labels.update(user.get("Labels") or {})
    config["Labels"] = labels
    config["StopSignal"] = user.get("StopSignal") or image_config.get("StopSignal") or None
    health = merge_healthcheck(user.get("Healthcheck"), image_config.get("Healthcheck"))
    if health is not None:
        config["Healthcheck"] = health
    for key in ("ExposedPorts", "Volumes"):
        merged = dict(image_config.get(key) or {})
        merged.update(user.get(key) or {})
        config[key] = merged or None
    for key, default in (
        ("Tty", False),
        ("OpenStdin", False),
        ("StdinOnce", False),
        ("AttachStdin", False),
        ("AttachStdout", False),
        ("AttachStderr", False),
        ("Domainname", ""),
        ("OnBuild", None),
    ):
        config.setdefault(key, default)
    return config


def str_slice(value: Any) -> list[str]:
    """moby's StrSlice as a list: a string is one element, null none."""
    if isinstance(value, str):
        return [value]
    return list(value or [])


def container_hostname(config: dict[str, Any], host_config: dict[str, Any],
                       container_id: str) -> str:
    """The asked hostname; else the host's (``--uts host``, ``--network host``, as dockerd);
    else the short id."""
    if config.get("Hostname"):
        return str(config["Hostname"])
    if "uts" in host_namespaces(host_config) or "network" in host_namespaces(host_config):
        return socket.gethostname()
    return container_id[:12]


def command_line(config: dict[str, Any]) -> tuple[str, list[str]]:
    """(Path, Args) as inspect shows them; 400 when neither entrypoint nor cmd is set."""
    argv = [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]
    if not argv:
        raise InvalidParameter("no command specified")
    return argv[0], argv[1:]


_HOST_CONFIG_DEFAULTS: dict[str, Any] = {
    "Binds": None,
    "ContainerIDFile": "",
    "LogConfig": {"Type": "json-file", "Config": {}},
    "NetworkMode": "bridge",
    "PortBindings": {},
    "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
    "AutoRemove": False,
    "VolumeDriver": "",
    "VolumesFrom": None,
    "ConsoleSize": [0, 0],
    "CapAdd": None,
    "CapDrop": None,
    "CgroupnsMode": "private",
    "Dns": [],
    "DnsOptions": [],
    "DnsSearch": [],
    "ExtraHosts": None,
    "GroupAdd": None,
    "IpcMode": "private",
    "Cgroup": "",
    "Links": None,
    "OomScoreAdj": 0,
    "PidMode": "",
    "Privileged": False,
    "PublishAllPorts": False,
    "ReadonlyRootfs": False,
    "SecurityOpt": None,
    "UTSMode": "",
    "UsernsMode": "",
    "ShmSize": DEFAULT_SHM_SIZE,
    "Runtime": "wharf",
    "Isolation": "",
    "CpuShares": 0,
    "Memory": 0,
    "NanoCpus": 0,
    "CgroupParent": "",
    "BlkioWeight": 0,
    "CpuPeriod": 0,
    "CpuQuota": 0,
    "CpuRealtimePeriod": 0,
    "CpuRealtimeRuntime": 0,
    "CpusetCpus": "",
    "CpusetMems": "",
    "Devices": [],
    "MemoryReservation": 0,
    "MemorySwap": 0,
    "MemorySwappiness": None,
    "OomKillDisable": None,
    "PidsLimit": None,
    "Ulimits": None,
    "Init": None,
    "MaskedPaths": None,
    "ReadonlyPaths": None,
}


def default_host_config(host_config: dict[str, Any], default_runtime: str) -> dict[str, Any]:
    merged = {**_HOST_CONFIG_DEFAULTS, "Runtime": default_runtime}
    merged.update({k: v for k, v in host_config.items() if v is not None or k not in merged})
    if merged.get("NetworkMode") in ("", "default"):
        merged["NetworkMode"] = "bridge"
    if not merged.get("ShmSize"):
        merged["ShmSize"] = DEFAULT_SHM_SIZE
    if not merged.get("Runtime"):
        merged["Runtime"] = default_runtime
    for key in ("CapAdd", "CapDrop"):
        if merged.get(key) is not None:
            merged[key] = str_slice(merged[key]) or None
    log_config = dict(merged.get("LogConfig") or {})
    merged["LogConfig"] = {"Type": log_config.get("Type") or "json-file",
                           "Config": dict(log_config.get("Config") or {})}
    restart = dict(merged.get("RestartPolicy") or {})
    merged["RestartPolicy"] = {"Name": restart.get("Name") or "no",
                               "MaximumRetryCount": int(restart.get("MaximumRetryCount") or 0)}
    return merged


def parse_signal(value: str | int | None, default: int = signal_module.SIGTERM) -> int:
    """``"SIGKILL"``, ``"KILL"``, ``"kill"`` or ``"9"`` → 9; 400 for anything else."""
    if value is None or value == "":
        return int(default)
    if isinstance(value, int) or str(value).isdigit():
        number = int(value)
        if 0 < number < 65:
            return number
        raise InvalidParameter(f"Invalid signal: {value}")
    name = str(value).upper()
    name = name if name.startswith("SIG") else "SIG" + name
    try:
        return int(signal_module.Signals[name])
    except KeyError:
        raise InvalidParameter(f"Invalid signal: {value}") from None


def write_etc_files(container_dir: Path, hostname: str, hosts: str,
                    resolv: str) -> dict[str, Path]:
    """hostname, hosts and resolv.conf in the container dir, keyed by their container path
    (the texts come from ``container_network_etc``)."""
    files = {
        "/etc/hostname": (container_dir / "hostname", hostname + "\n"),
        "/etc/hosts": (container_dir / "hosts", hosts),
        "/etc/resolv.conf": (container_dir / "resolv.conf", resolv),
    }
    for path, text in files.values():
        path.write_text(text)
    return {target: path for target, (path, _) in files.items()}


def spec_fields(
    container_id: str,
    rootfs: Path,
    config: dict[str, Any],
    host_config: dict[str, Any],
    etc_files: dict[str, Path],
    netns_path: str | None = None,
) -> dict[str, Any]:
    """The ``runtime.spec.SpecInput`` fields for this container."""
    argv = [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]
    return {
        "container_id": container_id,
        "rootfs": rootfs,
        "args": argv,
        "env": list(config.get("Env") or []),
        "cwd": config.get("WorkingDir") or "/",
        "user": config.get("User") or "",
        "hostname": config.get("Hostname") or container_id[:12],
        "tty": bool(config.get("Tty")),
        "open_stdin": bool(config.get("OpenStdin")),
        "privileged": bool(host_config.get("Privileged")),
        "cap_add": list(host_config.get("CapAdd") or []),
        "cap_drop": list(host_config.get("CapDrop") or []),
        "readonly_rootfs": bool(host_config.get("ReadonlyRootfs")),
        "memory": int(host_config.get("Memory") or 0),
        "memory_swap": int(host_config.get("MemorySwap") or 0),
        "nano_cpus": int(host_config.get("NanoCpus") or 0),
        "cpu_shares": int(host_config.get("CpuShares") or 0),
        "cpu_quota": int(host_config.get("CpuQuota") or 0),
        "cpu_period": int(host_config.get("CpuPeriod") or 0),
        "pids_limit": host_config.get("PidsLimit") or None,
        "security_opt": list(host_config.get("SecurityOpt") or []),
        "extra_mounts": user_mounts(host_config),
        "etc_files": etc_files,
        "netns_path": netns_path,
        "cgroups_path": cgroups_path(container_id),
        "shm_size": int(host_config.get("ShmSize") or DEFAULT_SHM_SIZE),
        "init": bool(host_config.get("Init")),
        "group_add": list(host_config.get("GroupAdd") or []),
        "domainname": config.get("Domainname") or "",
        "oom_score_adj": int(host_config.get("OomScoreAdj") or 0),
        "host_namespaces": host_namespaces(host_config),
        "annotations": dict(host_config.get("Annotations") or {}),
        "masked_paths": host_config.get("MaskedPaths"),
        "readonly_paths": host_config.get("ReadonlyPaths"),
        "console_size": _console_size(host_config.get("ConsoleSize")),
    }


def host_namespaces(host_config: dict[str, Any]) -> list[str]:
    """The namespaces shared with the host: ``--network host``, ``--pid host``, ..."""
    modes = {"network": "NetworkMode", "pid": "PidMode", "ipc": "IpcMode", "uts": "UTSMode",
             "cgroup": "CgroupnsMode"}
    return [kind for kind, key in modes.items() if host_config.get(key) == "host"]


def _console_size(value: Any) -> tuple[int, int] | None:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return int(value[0]), int(value[1])
    return None


def cgroups_path(container_id: str) -> str:
    return f"/wharf/{container_id}"
