"""Docker's container defaults (moby ``daemon/pkg/oci/defaults.go`` and ``caps/defaults.go``).

Plain data only; :mod:`wharf.runtime.spec` assembles them into an OCI ``config.json``.
"""

from __future__ import annotations

from typing import Any, Final

from wharf.core.capabilities import CAPABILITIES

DEFAULT_PATH: Final = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_SHM_SIZE: Final = 64 * 1024 * 1024
DEFAULT_CPU_PERIOD: Final = 100_000
# No rlimits in the spec: as with dockerd, a container inherits the limits of whoever starts it
# (the shim, which inherits the daemon's); raising RLIMIT_NOFILE above the hard limit inside a
# container without CAP_SYS_RESOURCE would fail its start.

DEFAULT_CAPS: Final = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
)

# Every capability by number (linux/capability.h); the kernel's cap_last_cap trims the tail.
ALL_CAPS: Final = CAPABILITIES

MASKED_PATHS: Final = (
    "/proc/asound",
    "/proc/acpi",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
)

READONLY_PATHS: Final = (
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
)

NAMESPACES: Final = ("pid", "ipc", "uts", "mount", "network")


def _char_device(major: int, minor: int | None) -> dict[str, Any]:
    return {"allow": True, "type": "c", "major": major, "minor": minor, "access": "rwm"}


def device_rules(privileged: bool) -> list[dict[str, Any]]:
    """The device cgroup: deny all, then Docker's allow list (everything when privileged)."""
    if privileged:
        return [{"allow": True, "access": "rwm"}]
    return [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "access": "m"},  # mknod of any device, no use of it
        {"allow": True, "type": "b", "access": "m"},
        _char_device(1, 3),  # /dev/null
        _char_device(1, 5),  # /dev/zero
        _char_device(1, 7),  # /dev/full
        _char_device(1, 8),  # /dev/random
        _char_device(1, 9),  # /dev/urandom
        _char_device(5, 0),  # /dev/tty
        _char_device(5, 1),  # /dev/console
        _char_device(5, 2),  # /dev/ptmx
        _char_device(136, None),  # /dev/pts/*
    ]


def default_mounts(privileged: bool, shm_size: int) -> list[dict[str, Any]]:
    """The kernel file systems every container gets, in mount order."""
    sys_mode = "rw" if privileged else "ro"
    return [
        {"destination": "/proc", "type": "proc", "source": "proc",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", sys_mode]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": ["nosuid", "noexec", "nodev", "relatime", sys_mode]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777",
                     f"size={shm_size or DEFAULT_SHM_SIZE}"]},
    ]
