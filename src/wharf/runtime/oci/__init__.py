"""wharf's own OCI runtime (runc's contract), usable in-process and as ``wharf-runtime``.

    create(state_root, id, bundle, *, console_socket, pid_file, preserve_fds) -> pid
    start(state_root, id); run(...) -> pid; state(state_root, id) -> dict
    kill(state_root, id, signal, all_processes=False); delete(state_root, id, force=False)
    exec_process(state_root, id, process, *, console_socket, pid_file, detach) -> pid
    pause / resume / processes

Failures raise ``RuntimeCreateError`` (runc's wording) or ``ContainerStateError``.
"""

from __future__ import annotations

from pathlib import Path

from wharf.runtime.oci.create import create
from wharf.runtime.oci.errors import ContainerStateError, RuntimeCreateError
from wharf.runtime.oci.execproc import exec_process
from wharf.runtime.oci.lifecycle import delete, kill, pause, processes, resume, start, state

__all__ = [
    "ContainerStateError", "RuntimeCreateError", "create", "delete", "exec_process", "kill",
    "pause", "processes", "resume", "run", "start", "state",
]


def run(state_root: Path, container_id: str, bundle: Path, *,
        console_socket: str | None = None, pid_file: Path | None = None,
        preserve_fds: int = 0, no_pivot: bool = False) -> int:
    """create + start; returns the init's host pid."""
    pid = create(state_root, container_id, bundle, console_socket=console_socket,
                 pid_file=pid_file, preserve_fds=preserve_fds, no_pivot=no_pivot)
    try:
        start(state_root, container_id)
    except BaseException:
        delete(state_root, container_id, force=True)
        raise
    return pid
