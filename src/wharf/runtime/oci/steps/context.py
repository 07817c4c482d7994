"""What every creation step receives, and the ``Step`` record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wharf.runtime.oci.config import ContainerConfig, Process
from wharf.runtime.oci.sync import SyncChannel
from wharf.runtime.oci.syscalls import Syscalls


@dataclass(frozen=True)
class CgroupMount:
    """One directory to show at ``/sys/fs/cgroup/<name>`` (v1), or ``name == ""`` for v2."""

    name: str
    host_dir: Path


@dataclass
class InitContext:
    """Everything the init (or an exec'd process) needs, prepared by the parent before fork.

    ``root`` is the path steps prefix to container paths: the rootfs on the host before
    pivot_root, ``/`` after it (pivot_root sets it)."""

    config: ContainerConfig
    process: Process
    sys: Syscalls
    sync: SyncChannel
    last_cap: int
    root: Path = Path("/")
    seccomp_program: bytes | None = None
    cgroup_version: int = 1
    cgroup_mounts: tuple[CgroupMount, ...] = ()
    console_fd: int | None = None
    clear_onlcr: bool = False  # the runtime's own foreground console (runc's ClearONLCR)
    fifo_fd: int | None = None
    preserve_fds: int = 0
    no_pivot: bool = False
    proc: Path = Path("/proc")
    executable: str = ""
    reported: bool = False


@dataclass(frozen=True)
class Step:
    """One named, small piece of container creation."""

    name: str
    run: Callable[[InitContext], None]
