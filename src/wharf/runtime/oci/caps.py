"""Linux capability names (``CAP_*``) and the bit masks built from them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from wharf.runtime.oci.errors import RuntimeCreateError

CAPABILITY_NAMES = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
)
CAPABILITY_NUMBERS = {name: number for number, name in enumerate(CAPABILITY_NAMES)}


def last_cap(proc: Path = Path("/proc")) -> int:
    """The highest capability number the running kernel knows."""
    try:
        return int((proc / "sys/kernel/cap_last_cap").read_text())
    except OSError:
        return len(CAPABILITY_NAMES) - 1


def cap_number(name: str) -> int:
    """``CAP_KILL`` (or ``KILL``) → 5; unknown names raise ``RuntimeCreateError``."""
    key = name.upper() if name.upper().startswith("CAP_") else "CAP_" + name.upper()
    if key not in CAPABILITY_NUMBERS:
        raise RuntimeCreateError(f"unknown capability {name!r}")
    return CAPABILITY_NUMBERS[key]


def cap_mask(names: Iterable[str], highest: int) -> int:
    """The bit mask of ``names``, ignoring capabilities the kernel does not know."""
    mask = 0
    for name in names:
        number = cap_number(name)
        if number <= highest:
            mask |= 1 << number
    return mask
