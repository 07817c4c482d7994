"""How a container ended: exit code from a wait status, the OOM verdict, exit.json.

The OOM verdict comes from the container's memory cgroup before the runtime deletes it:
``wharf.runtime.cgroups`` when it offers ``open_cgroup``, else the kernel's counters read here
(v2 ``memory.events`` / v1 ``memory.oom_control``, ``oom_kill`` > 0).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from wharf.runtime.shim.protocol import EXIT_FILE, replace_file

__all__ = ["ExitRecord", "exit_code_of", "oom_killed", "write_exit_record"]

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class ExitRecord:
    exit_code: int
    finished_at: str
    oom_killed: bool
    started_at: str
    pid: int


def exit_code_of(wait_status: int) -> int:
    """The process's exit code, or 128 + signal when a signal killed it."""
    if os.WIFSIGNALED(wait_status):
        return 128 + os.WTERMSIG(wait_status)
    if os.WIFEXITED(wait_status):
        return os.WEXITSTATUS(wait_status)
    return 128


def write_exit_record(container_dir: Path, record: ExitRecord) -> None:
    replace_file(container_dir / EXIT_FILE, json.dumps(asdict(record)).encode(), 0o644,
                 durable=True)


def _oom_kills(counter_file: Path) -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in counter_file.read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
    return 0


def _v1_memory_mount() -> Path | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            before, _, after = line.partition(" - ")
            fields, extra = before.split(), after.split()
            if len(extra) >= 3 and extra[0] == "cgroup" and "memory" in extra[2].split(","):
                return Path(fields[4])
    return None


def _kernel_oom_killed(cgroups_path: str) -> bool:
    relative = cgroups_path.strip("/")
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        return _oom_kills(CGROUP_ROOT / relative / "memory.events") > 0
    mount = _v1_memory_mount()
    return mount is not None and _oom_kills(mount / relative / "memory.oom_control") > 0


def oom_killed(cgroups_path: str) -> bool:
    """Whether the kernel's OOM killer killed a process of the container's cgroup."""
    if not cgroups_path or ":" in cgroups_path:  # systemd-style paths are not ours to read
        return False
    try:
        from wharf.runtime import cgroups
    except ImportError:
        cgroups = None  # type: ignore[assignment]
    opener = getattr(cgroups, "open_cgroup", None)
    if opener is not None:
        with contextlib.suppress(Exception):
            return bool(opener(cgroups_path).oom_killed())
    return _kernel_oom_killed(cgroups_path)
