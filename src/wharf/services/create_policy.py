"""What wharfd does with each field of a create request: one entry per field of the v1.47
``ContainerConfig``, ``HostConfig`` (with ``Resources``) and ``NetworkingConfig``, and the
create body's own extras. ``tests/unit/services/test_create_policy.py`` fails when the swagger
has a field this table lacks; ``tests/integration/daemon/test_create_fields.py`` walks the
table against a real wharfd (an effect in a container for each implemented field, the 400 for
each refused one).

- ``implemented``: the value takes effect (``accepts`` may limit which values: the others are
  refused with ``refusal``).
- ``refused``: any value but the default (zero, null, empty; or what ``accepts`` allows) is a 400
  "<flag> is not supported yet", until the issue that implements it.
- ``no-op``: accepted and stored, doing nothing, only where dockerd on Linux does the same
  (``note`` says why).

Networking (``container_network*``): the network fields are implemented; an endpoint's driver
options and link-local addresses are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from wharf.core.errors import InvalidParameter
from wharf.lib.extrahosts import ExtraHostError, parse_extra_host

Status = Literal["implemented", "refused", "no-op"]
IMPLEMENTED: Status = "implemented"
REFUSED: Status = "refused"
NOOP: Status = "no-op"


@dataclass(frozen=True)
class FieldPolicy:
    status: Status
    flag: str = ""  # the docker CLI flag that sets it, when there is one
    note: str = ""
    accepts: Callable[[Any], bool] | None = None  # non-zero values that are fine
    refusal: str | Callable[[Any], str] = "{flag} is not supported yet"


def _one_of(*values: object) -> Callable[[Any], bool]:
    return lambda value: value in values


_LOG_OPTS_DONE = ("max-size", "max-file")


def _log_config_ok(value: Any) -> bool:
    return isinstance(value, dict) and not _log_refusal(value)


def _log_refusal(value: Any) -> str:
    driver = value.get("Type") or "json-file"
    if driver != "json-file":
        return f"--log-driver {driver} is not supported yet"
    for key, option in (value.get("Config") or {}).items():
        if key not in _LOG_OPTS_DONE and not (key == "mode" and option in ("", "blocking")):
            return f"--log-opt {key} is not supported yet"
    return ""


def _mounts_ok(value: Any) -> bool:
    """Binds (of their options only the propagation), volumes of the local driver (no
    subpath) and tmpfs mounts (``container_tmpfs`` checks their fields as dockerd does)."""
    return isinstance(value, list) and all(
        isinstance(m, dict) and (_bind_entry_ok(m) or _volume_entry_ok(m)
                                 or m.get("Type") == "tmpfs")
        for m in value)


def _bind_entry_ok(mount: dict[str, Any]) -> bool:
    return (mount.get("Type", "bind") == "bind"
            and all_zero(mount.get("VolumeOptions")) and all_zero(mount.get("TmpfsOptions"))
            and all_zero({k: v for k, v in (mount.get("BindOptions") or {}).items()
                          if k != "Propagation"}))


def _volume_entry_ok(mount: dict[str, Any]) -> bool:
    options = mount.get("VolumeOptions") or {}
    driver = (options.get("DriverConfig") or {}).get("Name") or "local"
    return mount.get("Type") == "volume" and driver == "local" and not options.get("Subpath")


def _mounts_refusal(value: Any) -> str:
    for mount in value if isinstance(value, list) else []:
        options = (mount.get("VolumeOptions") or {}) if isinstance(mount, dict) else {}
        driver = (options.get("DriverConfig") or {}).get("Name") or "local"
        if driver != "local":
            return f"--mount volume-driver={driver} (volume plugins) is not supported yet"
        if options.get("Subpath"):
            return "--mount volume-subpath is not supported yet"
    return "--mount other than type=bind, type=volume or type=tmpfs is not supported yet"


def _extra_hosts_ok(value: Any) -> bool:
    return isinstance(value, list) and not _extra_hosts_refusal(value)


def _extra_hosts_refusal(value: Any) -> str:
    """dockerd's message for the first bad ``name:ip``."""
    for entry in value:
        try:
            parse_extra_host(entry)
        except ExtraHostError as err:
            return str(err)
    return ""


def _binds_ok(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(b, str) for b in value)


_ENDPOINT_DONE = ("IPAMConfig", "Links", "Aliases", "MacAddress", "NetworkID", "EndpointID",
                  "Gateway", "IPAddress", "IPPrefixLen", "IPv6Gateway", "GlobalIPv6Address",
                  "GlobalIPv6PrefixLen", "DNSNames")


def _endpoints_ok(value: Any) -> bool:
    return isinstance(value, dict) and not _endpoints_refusal(value)


def _endpoints_refusal(value: Any) -> str:
    """Endpoint settings wharf does not do (driver options, link-local addresses)."""
    for settings in value.values():
        for key, field_value in (settings or {}).items():
            if key == "IPAMConfig" and not is_zero((field_value or {}).get("LinkLocalIPs")):
                return "--link-local-ip is not supported yet"
            if key == "DriverOpts" and not is_zero(field_value):
                return "--network driver options (driver-opt) are not supported yet"
            if key not in _ENDPOINT_DONE and not is_zero(field_value):
                return f"--network {key} is not supported yet"
    return ""


_CONFIG: dict[str, FieldPolicy] = {
    "Hostname": FieldPolicy(IMPLEMENTED, "--hostname", "the UTS hostname and /etc/hostname"),
    "Domainname": FieldPolicy(IMPLEMENTED, "--domainname", "the UTS NIS domain name"),
    "User": FieldPolicy(IMPLEMENTED, "--user", "uid/gid from the image's /etc/passwd"),
    "AttachStdin": FieldPolicy(NOOP, "--attach", "stored for clients: dockerd does nothing "
                               "with it at create (docker start -a reads it back)"),
    "AttachStdout": FieldPolicy(NOOP, "--attach", "as AttachStdin"),
    "AttachStderr": FieldPolicy(NOOP, "--attach", "as AttachStdin"),
    "ExposedPorts": FieldPolicy(NOOP, "--expose", "metadata: dockerd only records it; ports "
                                "are published by PortBindings/PublishAllPorts"),
    "Tty": FieldPolicy(IMPLEMENTED, "--tty", "a PTY as the container's stdio"),
    "OpenStdin": FieldPolicy(IMPLEMENTED, "--interactive", "stdin kept open for attach"),
    "StdinOnce": FieldPolicy(IMPLEMENTED, "--interactive", "stdin closed after the first "
                             "attach ends"),
    "Env": FieldPolicy(IMPLEMENTED, "--env", "the process environment"),
    "Cmd": FieldPolicy(IMPLEMENTED, "", "the command"),
    "Healthcheck": FieldPolicy(IMPLEMENTED, "--health-cmd", "CMD/CMD-SHELL probes run as "
                               "execs (container_health); merged over the image's HEALTHCHECK; "
                               "wharf's --health-on-failure travels as the label "
                               "wharf.health-on-failure (none|kill|restart|stop)"),
    "ArgsEscaped": FieldPolicy(NOOP, "", "Windows only: dockerd ignores it on Linux"),
    "Image": FieldPolicy(IMPLEMENTED, "", "the image"),
    "Volumes": FieldPolicy(IMPLEMENTED, "--volume <container path>", "anonymous volumes "
                           "(the image's content copied into them)"),
    "WorkingDir": FieldPolicy(IMPLEMENTED, "--workdir", "the process's working directory"),
    "Entrypoint": FieldPolicy(IMPLEMENTED, "--entrypoint", "the entrypoint"),
    "NetworkDisabled": FieldPolicy(IMPLEMENTED, "", "no network: a namespace with loopback "
                                   "only"),
    "MacAddress": FieldPolicy(IMPLEMENTED, "--mac-address", "the primary endpoint's MAC "
                              "(API < 1.44; newer clients send it per endpoint)"),
    "OnBuild": FieldPolicy(NOOP, "", "build-time triggers: dockerd stores them, a container "
                           "never runs them"),
    "Labels": FieldPolicy(IMPLEMENTED, "--label", "stored, shown and filtered on"),
    "StopSignal": FieldPolicy(IMPLEMENTED, "--stop-signal", "the signal docker stop sends"),
    "StopTimeout": FieldPolicy(IMPLEMENTED, "--stop-timeout", "docker stop's grace period"),
    "Shell": FieldPolicy(NOOP, "", "build-time only (SHELL for RUN): dockerd stores it"),
}

_RESOURCES: dict[str, FieldPolicy] = {
    "CpuShares": FieldPolicy(IMPLEMENTED, "--cpu-shares", "cgroup cpu shares/weight"),
    "Memory": FieldPolicy(IMPLEMENTED, "--memory", "cgroup memory limit"),
    "CgroupParent": FieldPolicy(REFUSED, "--cgroup-parent", "cgroup placement: a later issue"),
    "BlkioWeight": FieldPolicy(REFUSED, "--blkio-weight", "block I/O cgroup: a later issue"),
    "BlkioWeightDevice": FieldPolicy(REFUSED, "--blkio-weight-device", "block I/O cgroup"),
    "BlkioDeviceReadBps": FieldPolicy(REFUSED, "--device-read-bps", "block I/O cgroup"),
    "BlkioDeviceWriteBps": FieldPolicy(REFUSED, "--device-write-bps", "block I/O cgroup"),
    "BlkioDeviceReadIOps": FieldPolicy(REFUSED, "--device-read-iops", "block I/O cgroup"),
    "BlkioDeviceWriteIOps": FieldPolicy(REFUSED, "--device-write-iops", "block I/O cgroup"),
    "CpuPeriod": FieldPolicy(IMPLEMENTED, "--cpu-period", "CFS period"),
    "CpuQuota": FieldPolicy(IMPLEMENTED, "--cpu-quota", "CFS quota"),
    "CpuRealtimePeriod": FieldPolicy(REFUSED, "--cpu-rt-period", "realtime scheduling"),
    "CpuRealtimeRuntime": FieldPolicy(REFUSED, "--cpu-rt-runtime", "realtime scheduling"),
    "CpusetCpus": FieldPolicy(REFUSED, "--cpuset-cpus", "cpuset cgroup: a later issue"),
    "CpusetMems": FieldPolicy(REFUSED, "--cpuset-mems", "cpuset cgroup: a later issue"),
    "Devices": FieldPolicy(REFUSED, "--device", "host devices: a later issue"),
    "DeviceCgroupRules": FieldPolicy(REFUSED, "--device-cgroup-rule", "host devices"),
    "DeviceRequests": FieldPolicy(REFUSED, "--gpus", "device drivers: not planned"),
    "KernelMemoryTCP": FieldPolicy(REFUSED, "", "kernel TCP memory (cgroup v1 only)"),
    "MemoryReservation": FieldPolicy(REFUSED, "--memory-reservation", "memory soft limit"),
    "MemorySwap": FieldPolicy(IMPLEMENTED, "--memory-swap", "memory+swap limit (-1: "
                              "unlimited; 0: twice Memory)"),
    "MemorySwappiness": FieldPolicy(REFUSED, "--memory-swappiness", "swappiness",
                                    accepts=_one_of(-1)),
    "NanoCpus": FieldPolicy(IMPLEMENTED, "--cpus", "CFS quota over a 100ms period"),
    "OomKillDisable": FieldPolicy(REFUSED, "--oom-kill-disable", "OOM killer control"),
    "Init": FieldPolicy(IMPLEMENTED, "--init", "tini as PID 1 (docker-init)"),
    "PidsLimit": FieldPolicy(IMPLEMENTED, "--pids-limit", "pids cgroup limit (<= 0: "
                             "unlimited, as dockerd)"),
    "Ulimits": FieldPolicy(REFUSED, "--ulimit", "rlimits: a later issue"),
    "CpuCount": FieldPolicy(NOOP, "", "Windows only: dockerd on Linux discards it (wharf warns)"),
    "CpuPercent": FieldPolicy(NOOP, "", "Windows only: dockerd on Linux discards it with a "
                              "warning, as wharf does"),
    "IOMaximumIOps": FieldPolicy(REFUSED, "", "Windows only: dockerd on Linux refuses it too",
                                 refusal="Invalid QoS settings: linux does not support Maximum "
                                         "IO Bandwidth or Maximum IO IOps"),
    "IOMaximumBandwidth": FieldPolicy(REFUSED, "", "as IOMaximumIOps",
                                      refusal="Invalid QoS settings: linux does not support "
                                              "Maximum IO Bandwidth or Maximum IO IOps"),
}

_HOST: dict[str, FieldPolicy] = {
    **_RESOURCES,
    "Binds": FieldPolicy(IMPLEMENTED, "--volume", "host-path binds (ro/rw, propagation, z/Z "
                         "without SELinux) and named volumes of the local driver",
                         accepts=_binds_ok),
    "ContainerIDFile": FieldPolicy(NOOP, "--cidfile", "the docker CLI writes the file; dockerd "
                                   "does nothing with it"),
    "LogConfig": FieldPolicy(IMPLEMENTED, "--log-driver", "json-file with max-size/max-file",
                             accepts=_log_config_ok, refusal=_log_refusal),
    "NetworkMode": FieldPolicy(IMPLEMENTED, "--network", "bridge/default, a user-defined "
                               "network, none (loopback only), host, container:<id|name>"),
    "PortBindings": FieldPolicy(IMPLEMENTED, "--publish", "host ports (DNAT and the userland "
                                "proxy), on 0.0.0.0 and :: when no address is named"),
    "RestartPolicy": FieldPolicy(IMPLEMENTED, "--restart", "no, always, on-failure[:N], "
                                 "unless-stopped with Docker's back-off (container_restart)"),
    "AutoRemove": FieldPolicy(IMPLEMENTED, "--rm", "removed after it exits"),
    "VolumeDriver": FieldPolicy(REFUSED, "--volume-driver", "volume plugins: only the local "
                                "driver", accepts=_one_of("local")),
    "VolumesFrom": FieldPolicy(IMPLEMENTED, "--volumes-from", "another container's volumes "
                               "and binds (ro/rw)"),
    "Mounts": FieldPolicy(IMPLEMENTED, "--mount", "type=bind, type=volume (local driver) and "
                          "type=tmpfs", accepts=_mounts_ok, refusal=_mounts_refusal),
    "ConsoleSize": FieldPolicy(IMPLEMENTED, "", "the initial TTY size as OCI "
                               "process.consoleSize, set on the PTY before the process starts "
                               "(wharf-runtime, runc and crun)"),
    "Annotations": FieldPolicy(IMPLEMENTED, "--annotation", "OCI annotations in config.json"),
    "CapAdd": FieldPolicy(IMPLEMENTED, "--cap-add", "capabilities added"),
    "CapDrop": FieldPolicy(IMPLEMENTED, "--cap-drop", "capabilities dropped"),
    "CgroupnsMode": FieldPolicy(IMPLEMENTED, "--cgroupns", "private or host cgroup namespace"),
    "Dns": FieldPolicy(IMPLEMENTED, "--dns", "nameservers in /etc/resolv.conf (forwarded to by "
                       "the embedded resolver on user-defined networks)"),
    "DnsOptions": FieldPolicy(IMPLEMENTED, "--dns-option", "options in /etc/resolv.conf"),
    "DnsSearch": FieldPolicy(IMPLEMENTED, "--dns-search", "search domains in /etc/resolv.conf"),
    "ExtraHosts": FieldPolicy(IMPLEMENTED, "--add-host", "name:ip lines in /etc/hosts "
                              "(host-gateway: the default bridge's gateway)",
                              accepts=_extra_hosts_ok, refusal=_extra_hosts_refusal),
    "GroupAdd": FieldPolicy(IMPLEMENTED, "--group-add", "supplementary groups (names from "
                            "the image's /etc/group)"),
    "IpcMode": FieldPolicy(IMPLEMENTED, "--ipc", "private/shareable (own namespace) or host",
                           accepts=_one_of("private", "shareable", "host"),
                           refusal="--ipc {value} is not supported yet"),
    "Cgroup": FieldPolicy(REFUSED, "--cgroup", "joining another container's cgroup"),
    "Links": FieldPolicy(IMPLEMENTED, "--link", "legacy links: /etc/hosts lines on the default "
                         "bridge, names only the linking container resolves on user networks"),
    "OomScoreAdj": FieldPolicy(IMPLEMENTED, "--oom-score-adj", "the process's oom_score_adj"),
    "PidMode": FieldPolicy(IMPLEMENTED, "--pid", "own PID namespace or host",
                           accepts=_one_of("host"), refusal="--pid {value} is not supported yet"),
    "Privileged": FieldPolicy(IMPLEMENTED, "--privileged", "every capability and device, no "
                              "seccomp, no masked paths"),
    "PublishAllPorts": FieldPolicy(IMPLEMENTED, "--publish-all", "an ephemeral host port for "
                                   "each exposed port"),
    "ReadonlyRootfs": FieldPolicy(IMPLEMENTED, "--read-only", "read-only root file system"),
    "SecurityOpt": FieldPolicy(IMPLEMENTED, "--security-opt", "seccomp=<profile JSON>|unconfined, "
                               "no-new-privileges, systempaths=unconfined, apparmor=unconfined,"
                               " label=disable; runtime.spec refuses the rest at create"),
    "StorageOpt": FieldPolicy(REFUSED, "--storage-opt", "storage driver options"),
    "Tmpfs": FieldPolicy(IMPLEMENTED, "--tmpfs", "tmpfs mounts with dockerd's default and "
                         "merged options"),
    "UTSMode": FieldPolicy(IMPLEMENTED, "--uts", "own UTS namespace or host"),
    "UsernsMode": FieldPolicy(IMPLEMENTED, "--userns", "host (wharfd has no user namespace "
                              "remapping, so every container is in the host's)",
                              accepts=_one_of("host"),
                              refusal="--userns {value} is not supported yet"),
    "ShmSize": FieldPolicy(IMPLEMENTED, "--shm-size", "size of /dev/shm"),
    "Sysctls": FieldPolicy(REFUSED, "--sysctl", "namespaced sysctls: a later issue"),
    "Runtime": FieldPolicy(IMPLEMENTED, "--runtime", "the OCI runtime (wharf, runc, crun, ...)"),
    "Isolation": FieldPolicy(NOOP, "--isolation", "Linux has one isolation: dockerd accepts "
                             "only \"\"/\"default\" there, as wharf (others are a 400)"),
    "MaskedPaths": FieldPolicy(IMPLEMENTED, "", "replaces the default masked paths"),
    "ReadonlyPaths": FieldPolicy(IMPLEMENTED, "", "replaces the default read-only paths"),
}

_NETWORKING: dict[str, FieldPolicy] = {
    "EndpointsConfig": FieldPolicy(IMPLEMENTED, "--network <name>/--ip/--network-alias",
                                   "the networks joined at start: IPAMConfig addresses, "
                                   "aliases, links, MAC", accepts=_endpoints_ok,
                                   refusal=_endpoints_refusal),
}

_BODY: dict[str, FieldPolicy] = {
    "Runtime": FieldPolicy(IMPLEMENTED, "", "docker-py's top-level runtime, used when "
                           "HostConfig.Runtime is empty"),
}

POLICY: Mapping[str, Mapping[str, FieldPolicy]] = {
    "Config": _CONFIG,
    "HostConfig": _HOST,
    "NetworkingConfig": _NETWORKING,
    "Body": _BODY,
}


def is_zero(value: Any) -> bool:
    """Go's zero value (or nothing sent): null, 0, "", false, an empty list or map."""
    return value is None or value is False or value == 0 or value in ("", [], {})


def all_zero(obj: Any) -> bool:
    """A struct (as a JSON object) whose every field is its zero value."""
    if isinstance(obj, dict):
        return all(all_zero(v) if isinstance(v, dict) else is_zero(v) for v in obj.values())
    return is_zero(obj)


def refuse_unsupported(body: Mapping[str, Any]) -> None:
    """400 for the first field whose value wharf does not implement (``body`` as JSON)."""
    sections: dict[str, Mapping[str, Any]] = {
        "Config": body,
        "HostConfig": body.get("HostConfig") or {},
        "NetworkingConfig": body.get("NetworkingConfig") or {},
        "Body": body,
    }
    for section, table in POLICY.items():
        values = sections[section]
        for name, policy in table.items():
            value = values.get(name)
            if policy.status == NOOP or is_zero(value):
                continue
            if policy.accepts is not None and policy.accepts(value):
                continue
            if policy.status == IMPLEMENTED and policy.accepts is None:
                continue
            raise InvalidParameter(refusal_message(section, name, policy, value))


def refusal_message(section: str, name: str, policy: FieldPolicy, value: Any) -> str:
    if callable(policy.refusal):
        return policy.refusal(value)
    flag = policy.flag or f"{section}.{name}"
    return policy.refusal.format(flag=flag, value=_show(value))


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("Type") or value.get("Name") or value)
    return str(value)


def summary() -> dict[Status, int]:
    counts: dict[Status, int] = {IMPLEMENTED: 0, REFUSED: 0, NOOP: 0}
    for table in POLICY.values():
        for policy in table.values():
            counts[policy.status] += 1
    return counts
