"""Docker-like OCI bundles for the runtime tests (what dockerd would write, trimmed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wharf.runtime import defaults

DOCKER_CAPS = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
]
MASKED_PATHS = [
    "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
]
READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
BLOCKED_SYSCALLS = ["mount", "umount2", "unshare", "setns", "keyctl", "pivot_root"]


def small_seccomp() -> dict[str, Any]:
    """Allow-by-default with Docker's CAP_SYS_ADMIN-gated calls denied (EPERM)."""
    return {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [
            {"names": BLOCKED_SYSCALLS, "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
        ],
    }


def docker_mounts() -> list[dict[str, Any]]:
    """Docker's kernel file systems, as the spec builder gives them (64 MiB /dev/shm)."""
    return defaults.default_mounts(privileged=False, shm_size=0)


def docker_device_rules() -> list[dict[str, Any]]:
    """moby's default device cgroup: deny all; mknod of anything; use of the standard ones."""
    rules: list[dict[str, Any]] = [{"allow": False, "access": "rwm"},
                                   {"allow": True, "type": "c", "access": "m"},
                                   {"allow": True, "type": "b", "access": "m"}]
    for major, minor in ((1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 1), (5, 2),
                         (136, None)):
        rules.append({"allow": True, "type": "c", "major": major, "minor": minor,
                      "access": "rwm"})
    return rules


def docker_config(args: list[str], container_id: str, *, terminal: bool = False,
                  readonly: bool = False, hostname: str = "wharftest",
                  resources: dict[str, Any] | None = None) -> dict[str, Any]:
    caps = list(DOCKER_CAPS)
    return {
        "ociVersion": "1.0.2-dev",
        "process": {
            "terminal": terminal, "user": {"uid": 0, "gid": 0, "additionalGids": [10]},
            "args": args,
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "HOSTNAME=" + hostname],
            "cwd": "/",
            "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 1024}],
            "oomScoreAdj": 0,
        },
        "root": {"path": "rootfs", "readonly": readonly},
        "hostname": hostname,
        "mounts": docker_mounts(),
        "linux": {
            "resources": resources or {
                "devices": docker_device_rules(),
                "memory": {"limit": 64 * 1024 * 1024},
                "pids": {"limit": 64},
            },
            "cgroupsPath": f"/wharf-test/{container_id}",
            "sysctl": {"net.ipv4.ip_unprivileged_port_start": "0",
                       "net.ipv4.ping_group_range": "0 2147483647"},
            "namespaces": [{"type": t} for t in ("mount", "network", "uts", "pid", "ipc")],
            "maskedPaths": MASKED_PATHS,
            "readonlyPaths": READONLY_PATHS,
            "seccomp": small_seccomp(),
        },
    }


def write_bundle(bundle: Path, config: dict[str, Any]) -> Path:
    (bundle / "config.json").write_text(json.dumps(config))
    return bundle
