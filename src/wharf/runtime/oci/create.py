"""``create``: build the container's init and leave it blocked before execve until ``start``."""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from wharf.core.timefmt import now_rfc3339
from wharf.runtime.cgroups import Cgroup, CgroupLayout, detect_layout, normalize_cgroups_path
from wharf.runtime.cgroups import open_cgroup as open_host_cgroup
from wharf.runtime.oci.caps import last_cap
from wharf.runtime.oci.config import ContainerConfig, load_config
from wharf.runtime.oci.console import connect_console_socket
from wharf.runtime.oci.devicerules import with_default_device_rules
from wharf.runtime.oci.errors import ContainerStateError, RuntimeCreateError
from wharf.runtime.oci.hooks import run_hooks
from wharf.runtime.oci.namespaces import NamespacePlan, plan_for_create, write_id_maps
from wharf.runtime.oci.seccomp_bpf import SeccompCache
from wharf.runtime.oci.spawn import Spawned, request_id_maps, spawn
from wharf.runtime.oci.state import (
    EXEC_FIFO,
    ContainerState,
    container_dir,
    process_start_time,
    write_state,
)
from wharf.runtime.oci.steps import INIT_STEPS, CgroupMount, InitContext
from wharf.runtime.oci.sync import SyncChannel
from wharf.runtime.oci.syscalls import LinuxSyscalls, Syscalls

SECCOMP_CACHE_DIR = ".seccomp-cache"


def seccomp_cache(state_root: Path) -> SeccompCache:
    return SeccompCache(state_root / SECCOMP_CACHE_DIR)


def cgroup_mounts(layout: CgroupLayout, cgroup: Cgroup) -> tuple[CgroupMount, ...]:
    """What the container's /sys/fs/cgroup shows: its own cgroup of each hierarchy."""
    sources = cgroup.mount_sources()
    if layout.version == 2:
        return tuple(CgroupMount("", path) for path in sources.values())
    return tuple(CgroupMount(layout.hierarchies[name].name, path)
                 for name, path in sources.items())


def write_pid_file(path: Path, pid: int) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(str(pid))
    os.replace(tmp, path)


@dataclass
class _Creation:
    """The resources a create holds until it succeeds (released on failure)."""

    directory: Path
    cgroup: Cgroup | None = None
    plan: NamespacePlan | None = None
    fifo_fd: int | None = None
    console_fd: int | None = None
    spawned: Spawned | None = None

    def close_fds(self) -> None:
        if self.plan is not None:
            self.plan.close()
        for fd in (self.fifo_fd, self.console_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def undo(self) -> None:
        if self.spawned is not None:
            self.spawned.abort()
        if self.cgroup is not None:
            with contextlib.suppress(OSError):
                self.cgroup.remove()
        shutil.rmtree(self.directory, ignore_errors=True)


def _enter(syscalls: Syscalls, cgroup: Cgroup, plan: NamespacePlan,
           config: ContainerConfig, sync: SyncChannel) -> None:
    """Runs in the intermediate process: cgroup first (so a cgroup namespace starts there),
    then the namespaces; the child forked next inherits all of it."""
    cgroup.add(os.getpid())
    if config.process.oom_score_adj is not None:
        Path("/proc/self/oom_score_adj").write_text(str(config.process.oom_score_adj))
    syscalls.set_dumpable(False)
    plan.enter(syscalls, lambda: request_id_maps(sync))


def _start_init(state_root: Path, container_id: str, config: ContainerConfig,
                work: _Creation, console_socket: str | None, preserve_fds: int,
                no_pivot: bool, clear_onlcr: bool) -> Spawned:
    layout = detect_layout()
    cgroup = open_host_cgroup(normalize_cgroups_path(config.cgroups_path, container_id), layout)
    work.cgroup = cgroup
    cgroup.create()
    cgroup.apply(with_default_device_rules(config.resources))
    program = seccomp_cache(state_root).program(config.seccomp) if config.seccomp else None
    fifo = work.directory / EXEC_FIFO
    os.mkfifo(fifo, 0o622)
    os.chmod(fifo, 0o622)  # not the caller's umask: a non-root init must open it for writing
    work.fifo_fd = os.open(fifo, os.O_PATH | os.O_CLOEXEC)
    if config.process.terminal:
        if not console_socket:
            raise RuntimeCreateError("cannot allocate tty if runc will detach without setting "
                                     "console socket")
        work.console_fd = connect_console_socket(console_socket)
    work.plan = plan = plan_for_create(config.namespaces)
    syscalls = LinuxSyscalls()

    def make_context(sync: SyncChannel) -> InitContext:
        return InitContext(
            config=config, process=config.process, sys=syscalls, sync=sync,
            last_cap=last_cap(), seccomp_program=program, cgroup_version=layout.version,
            cgroup_mounts=cgroup_mounts(layout, cgroup), console_fd=work.console_fd,
            clear_onlcr=clear_onlcr, fifo_fd=work.fifo_fd, preserve_fds=preserve_fds,
            no_pivot=no_pivot,
        )

    return spawn(make_context, lambda sync: _enter(syscalls, cgroup, plan, config, sync),
                 INIT_STEPS,
                 lambda pid: write_id_maps(pid, config.uid_mappings, config.gid_mappings))


def create(state_root: Path, container_id: str, bundle: Path, *,
           console_socket: str | None = None, pid_file: Path | None = None,
           preserve_fds: int = 0, no_pivot: bool = False,
           console_clear_onlcr: bool = False) -> int:
    """Create the container: its init waits before execve until ``start``. Returns its
    host pid. The caller reaps it (set PR_SET_CHILD_SUBREAPER first)."""
    directory = container_dir(state_root, container_id)
    config = load_config(bundle)
    state_root.mkdir(parents=True, exist_ok=True, mode=0o711)
    try:
        directory.mkdir(mode=0o711)
    except FileExistsError as exc:
        raise ContainerStateError(f"container with id exists: {container_id}") from exc
    work = _Creation(directory)
    try:
        work.spawned = spawned = _start_init(state_root, container_id, config, work,
                                             console_socket, preserve_fds, no_pivot,
                                             console_clear_onlcr)
        work.close_fds()
        state = ContainerState(
            id=container_id, pid=spawned.pid, bundle=str(bundle.resolve()),
            rootfs=str(config.rootfs), created=now_rfc3339(),
            init_start_time=process_start_time(spawned.pid) or 0,
            cgroups_path=normalize_cgroups_path(config.cgroups_path, container_id),
            annotations=config.annotations, config=config.raw,
        )
        early_hooks = ("prestart", "createRuntime")
        if any(config.hooks.get(kind) for kind in early_hooks):
            write_state(state_root, state)
            run_hooks(config.hooks, early_hooks, state.to_oci("creating"))
            spawned.release()
        else:  # nothing to run first: the init sets itself up while the state is written
            spawned.release()
            write_state(state_root, state)
        spawned.expect("created")
        spawned.channel.close()
        if pid_file is not None:
            write_pid_file(pid_file, spawned.pid)
    except BaseException as exc:
        work.close_fds()
        work.undo()
        if isinstance(exc, OSError):
            raise RuntimeCreateError(f"creating container {container_id}: {exc}") from exc
        raise
    return spawned.pid
