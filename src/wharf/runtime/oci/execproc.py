"""``exec_process``: start another process inside a running container."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from wharf.runtime.cgroups import Cgroup, open_cgroup
from wharf.runtime.oci.caps import last_cap
from wharf.runtime.oci.config import parse_config, parse_process
from wharf.runtime.oci.console import connect_console_socket
from wharf.runtime.oci.create import seccomp_cache, write_pid_file
from wharf.runtime.oci.errors import ContainerStateError, RuntimeCreateError
from wharf.runtime.oci.lifecycle import status_of
from wharf.runtime.oci.namespaces import NamespacePlan, plan_for_exec
from wharf.runtime.oci.spawn import spawn
from wharf.runtime.oci.state import read_state
from wharf.runtime.oci.steps import EXEC_STEPS, InitContext
from wharf.runtime.oci.sync import SyncChannel
from wharf.runtime.oci.syscalls import LinuxSyscalls, Syscalls


def _enter(syscalls: Syscalls, cgroup: Cgroup, plan: NamespacePlan) -> None:
    """Runs in the intermediate: non-dumpable before joining the pid namespace, so nothing in
    the container can open our /proc/<pid>/exe (CVE-2019-5736); then cgroup, namespaces."""
    syscalls.set_dumpable(False)
    cgroup.add(os.getpid())
    plan.enter(syscalls)


def wait_exit_code(pid: int) -> int:
    """Wait for ``pid`` (our child, or reparented to us as subreaper): code or 128+signal."""
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def exec_process(state_root: Path, container_id: str, process: dict[str, Any], *,
                 console_socket: str | None = None, pid_file: Path | None = None,
                 detach: bool = True, preserve_fds: int = 0,
                 console_clear_onlcr: bool = False) -> int:
    """Run the OCI ``process`` in the container; returns its host pid. With
    ``detach=False`` waits for it and returns its exit code instead (the caller must be its
    parent's subreaper, as for the init)."""
    current = read_state(state_root, container_id)
    status = status_of(state_root, current)
    if status not in ("running", "created"):
        raise ContainerStateError(f"cannot exec in a {status} container")
    config = parse_config(current.config, Path(current.bundle))
    parsed = parse_process(process)
    if parsed.terminal and not console_socket:
        raise RuntimeCreateError("cannot allocate tty without setting console socket")
    program = seccomp_cache(state_root).program(config.seccomp) if config.seccomp else None
    cgroup = open_cgroup(current.cgroups_path)
    plan = plan_for_exec(current.pid, config.namespaces)
    console_fd = connect_console_socket(console_socket) if console_socket else None
    syscalls = LinuxSyscalls()

    def make_context(sync: SyncChannel) -> InitContext:
        return InitContext(config=config, process=parsed, sys=syscalls, sync=sync,
                           last_cap=last_cap(), seccomp_program=program,
                           console_fd=console_fd, preserve_fds=preserve_fds,
                           clear_onlcr=console_clear_onlcr)

    try:
        spawned = spawn(make_context, lambda _sync: _enter(syscalls, cgroup, plan), EXEC_STEPS)
    finally:
        plan.close()
        if console_fd is not None:
            with contextlib.suppress(OSError):
                os.close(console_fd)
    try:
        spawned.release()
        spawned.expect("created")
    except BaseException:
        spawned.abort()
        raise
    spawned.channel.close()
    if pid_file is not None:
        write_pid_file(pid_file, spawned.pid)
    return spawned.pid if detach else wait_exit_code(spawned.pid)
