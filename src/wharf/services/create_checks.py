"""The checks dockerd makes of a create request before it makes anything (moby's
``verifyContainerSettings``: ``validateContainerConfig``, ``validateHostConfig``,
``verifyPlatformContainerSettings``), with its messages, so clients see the same 400s.

They judge values that are well typed already (``api.decode`` did that); what wharf does not
implement yet is ``create_policy``'s business, checked after these.
"""

from __future__ import annotations

import os
import re

from wharf.core.capabilities import CAPABILITIES
from wharf.core.errors import InvalidParameter
from wharf.core.logopts import parse_size
from wharf.services import container_config as cc
from wharf.services.engine_types import (
    ContainerConfig,
    ContainerCreateBody,
    HealthConfig,
    HostConfig,
    HostConfigLogConfig,
    Resources,
)
from wharf.services.restart_policy import parse_restart_policy

LINUX_MIN_MEMORY = 6 * 1024 * 1024
MIN_HEALTH_DURATION_NS = 1_000_000  # containertypes.MinimumDuration: 1ms
_NAMESPACE_MODES = {
    "IPC": ("", "host", "private", "shareable", "none"),
    "PID": ("", "host"),
    "UTS": ("", "host"),
}
LOG_DRIVERS_KNOWN = ("json-file", "local", "syslog", "journald", "gelf", "fluentd", "awslogs",
                     "splunk", "etwlogs", "gcplogs", "logentries", "none")
JSON_FILE_LOG_OPTS = ("max-size", "max-file", "compress", "labels", "labels-regex", "env",
                      "env-regex", "tag")


def verify(body: ContainerCreateBody, cpus: int | None = None) -> list[str]:
    """Raise ``InvalidParameter`` with dockerd's message for the first bad setting; return
    dockerd's warnings for settings it accepts and discards on Linux."""
    verify_config(body)
    host = body.host_config or HostConfig()
    verify_host_config(host, body.hostname or "")
    return verify_resources(host, cpus or os.cpu_count() or 1)


# ---- Config ---------------------------------------------------------------------------------


def verify_config(config: ContainerConfig) -> None:
    workdir = config.working_dir or ""
    if workdir and not workdir.startswith("/"):
        raise InvalidParameter(
            f"the working directory '{workdir}' is invalid, it needs to be an absolute path")
    if config.stop_signal:
        cc.parse_signal(config.stop_signal)
    for entry in config.env or []:
        if not entry.partition("=")[0]:
            raise InvalidParameter(f"invalid environment variable: {entry}")
    if config.stop_timeout is not None and not -(2**31) <= config.stop_timeout < 2**31:
        raise InvalidParameter("invalid value for StopTimeout: out of range")
    verify_healthcheck(config.healthcheck)


def verify_healthcheck(health: HealthConfig | None) -> None:
    if health is None:
        return
    for name, value in (("Interval", health.interval), ("Timeout", health.timeout),
                        ("StartPeriod", health.start_period),
                        ("StartInterval", health.start_interval)):
        if value and value < MIN_HEALTH_DURATION_NS:
            raise InvalidParameter(f"{name} in Healthcheck cannot be less than 1ms")
    if (health.retries or 0) < 0:
        raise InvalidParameter("Retries in Healthcheck cannot be negative")


# ---- HostConfig -----------------------------------------------------------------------------


def verify_host_config(host: HostConfig, hostname: str = "") -> None:
    policy = host.restart_policy
    parse_restart_policy({"Name": policy.name if policy else "",
                          "MaximumRetryCount": policy.maximum_retry_count if policy else 0},
                         auto_remove=bool(host.auto_remove))
    for field_name, caps in (("CapAdd", host.cap_add), ("CapDrop", host.cap_drop)):
        verify_capabilities(field_name, [caps] if isinstance(caps, str) else caps or [])
    if (host.isolation or "") not in ("", "default"):
        raise InvalidParameter(f"invalid isolation '{host.isolation}' on linux")
    for kind, value in (("IPC", host.ipc_mode), ("PID", host.pid_mode), ("UTS", host.uts_mode)):
        if not _namespace_mode_valid(kind, value or ""):
            raise InvalidParameter(f"invalid {kind} mode: {value}")
    if host.uts_mode == "host" and hostname:
        raise InvalidParameter("Conflicting options: hostname and the UTS mode")
    if (host.shm_size or 0) < 0:
        raise InvalidParameter("SHM size can not be less than 0")
    adj = host.oom_score_adj or 0
    if not -1000 <= adj <= 1000:
        raise InvalidParameter(f"Invalid value {adj}, range for oom score adj is [-1000, 1000]")
    if (host.cgroupns_mode or "") not in ("", "private", "host"):
        raise InvalidParameter(f"invalid cgroup namespace mode: {host.cgroupns_mode}")
    for target in host.tmpfs or {}:
        if not target.startswith("/"):
            raise InvalidParameter(f"invalid mount path: '{target}' mount path must be absolute")
    verify_log_config(host.log_config)


def _namespace_mode_valid(kind: str, value: str) -> bool:
    if value.startswith("container:") and kind in ("IPC", "PID"):
        return bool(value.partition(":")[2])
    return value in _NAMESPACE_MODES[kind]


def verify_capabilities(field_name: str, caps: list[str]) -> None:
    """moby's ``NormalizeLegacyCapabilities``: names with or without ``CAP_``, any case."""
    for cap in caps:
        upper = cap.strip().upper()
        if upper == "ALL":
            continue
        full = upper if upper.startswith("CAP_") else "CAP_" + upper
        if full not in CAPABILITIES:
            raise InvalidParameter(f'invalid {field_name}: unknown capability: "{full}"')


def verify_log_config(log_config: HostConfigLogConfig | None) -> None:
    """moby's ``ValidateLogOpts`` for the drivers it knows; json-file's own option checks."""
    driver = (log_config.type if log_config else "") or "json-file"
    options = (log_config.config if log_config else None) or {}
    mode = options.get("mode", "")
    if mode not in ("", "blocking", "non-blocking"):
        raise InvalidParameter(f"logger: logging mode not supported: {mode}")
    if driver not in LOG_DRIVERS_KNOWN:
        raise InvalidParameter(f"logger: no log driver named '{driver}' is registered")
    if driver != "json-file":
        return  # known to dockerd; create_policy refuses it
    for key in options:
        if key not in (*JSON_FILE_LOG_OPTS, "mode", "max-buffer-size"):
            raise InvalidParameter(f"unknown log opt '{key}' for json-file log driver")
    if "max-size" in options and options["max-size"].strip() != "-1" \
            and parse_size(options["max-size"]) <= 0:
        raise InvalidParameter("max-size must be a positive number")
    if "max-file" in options:
        raw = options["max-file"]
        if not re.fullmatch(r"[+-]?\d+", raw):
            raise InvalidParameter(f'strconv.Atoi: parsing "{raw}": invalid syntax')
        if int(raw) < 1:
            raise InvalidParameter("max-file cannot be less than 1")


# ---- Resources ------------------------------------------------------------------------------


def verify_resources(res: Resources, cpus: int) -> list[str]:
    """``verifyPlatformContainerResources``: dockerd's errors, and its warnings for what Linux
    discards (CpuPercent, CpuCount)."""
    verify_memory(res)
    verify_cpu(res, cpus)
    if res.blkio_weight and not 10 <= res.blkio_weight <= 1000:
        raise InvalidParameter("Range of blkio weight is from 10 to 1000")
    if res.io_maximum_bandwidth or res.io_maximum_iops:
        raise InvalidParameter("Invalid QoS settings: linux does not support Maximum IO "
                               "Bandwidth or Maximum IO IOps")
    warnings = []
    if (res.cpu_percent or 0) > 0:
        warnings.append("linux does not support CPU percent. Percent discarded.")
    if (res.cpu_count or 0) > 0:
        warnings.append("linux does not support CPU count. Count discarded.")
    return warnings


def verify_memory(res: Resources) -> None:
    memory, swap = res.memory or 0, res.memory_swap or 0
    reservation = res.memory_reservation or 0
    if memory != 0 and memory < LINUX_MIN_MEMORY:
        raise InvalidParameter("Minimum memory limit allowed is 6MB")
    if memory > 0 and 0 < swap < memory:
        raise InvalidParameter(
            "Minimum memoryswap limit should be larger than memory limit, see usage")
    if memory == 0 and swap > 0:
        raise InvalidParameter(
            "You should always set the Memory limit when using Memoryswap limit, see usage")
    swappiness = res.memory_swappiness
    if swappiness is not None and swappiness != -1 and not 0 <= swappiness <= 100:
        raise InvalidParameter(
            f"Invalid value: {swappiness}, valid memory swappiness range is 0-100")
    if reservation != 0 and reservation < LINUX_MIN_MEMORY:
        raise InvalidParameter("Minimum memory reservation allowed is 6MB")
    if memory > 0 and reservation > 0 and memory < reservation:
        raise InvalidParameter(
            "Minimum memory limit can not be less than memory reservation limit, see usage")


def verify_cpu(res: Resources, cpus: int) -> None:
    nano, period, quota = res.nano_cpus or 0, res.cpu_period or 0, res.cpu_quota or 0
    if nano > 0 and period > 0:
        raise InvalidParameter("Conflicting options: Nano CPUs and CPU Period cannot both be set")
    if nano > 0 and quota > 0:
        raise InvalidParameter("Conflicting options: Nano CPUs and CPU Quota cannot both be set")
    if nano < 0 or nano > cpus * 1_000_000_000:
        raise InvalidParameter(
            f"Range of CPUs is from 0.01 to {cpus}.00, as there are only {cpus} CPUs available")
    if period != 0 and not 1000 <= period <= 1_000_000:
        raise InvalidParameter("CPU cfs period can not be less than 1ms (i.e. 1000) or larger "
                               "than 1s (i.e. 1000000)")
    if 0 < quota < 1000:
        raise InvalidParameter("CPU cfs quota can not be less than 1ms (i.e. 1000)")
    if (res.cpu_shares or 0) < 0:
        raise InvalidParameter("shares: invalid argument")
