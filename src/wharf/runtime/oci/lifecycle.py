"""start, state, kill, delete, pause, resume, ps on a created container."""

from __future__ import annotations

import contextlib
import errno
import os
import select
import shutil
import signal as signals
import time
from pathlib import Path
from typing import Any

from wharf.runtime.cgroups import Cgroup, open_cgroup
from wharf.runtime.oci.errors import ContainerStateError
from wharf.runtime.oci.hooks import run_hooks
from wharf.runtime.oci.state import EXEC_FIFO, ContainerState, container_dir, init_alive, read_state

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


def _cgroup(state: ContainerState) -> Cgroup:
    return open_cgroup(state.cgroups_path)


def status_of(state_root: Path, state: ContainerState) -> str:
    """created (init waits on the exec fifo), running, paused (frozen) or stopped."""
    if not init_alive(state):
        return "stopped"
    with contextlib.suppress(OSError):
        if _cgroup(state).frozen():
            return "paused"
    if (container_dir(state_root, state.id) / EXEC_FIFO).exists():
        return "created"
    return "running"


def state(state_root: Path, container_id: str) -> dict[str, Any]:
    """The runtime-spec state of the container."""
    current = read_state(state_root, container_id)
    return current.to_oci(status_of(state_root, current))


def _open_fifo_reader(fifo: Path) -> int:
    try:
        return os.open(fifo, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError as exc:
        raise ContainerStateError("cannot start an already running container") from exc


def start(state_root: Path, container_id: str) -> None:
    """Let the init exec the user process (it is blocked writing to the exec fifo)."""
    current = read_state(state_root, container_id)
    status = status_of(state_root, current)
    if status == "stopped":
        raise ContainerStateError("cannot start a container that has stopped")
    if status != "created":
        raise ContainerStateError(f"cannot start an already {status} container")
    fifo = container_dir(state_root, container_id) / EXEC_FIFO
    reader = _open_fifo_reader(fifo)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            readable, _, _ = select.select([reader], [], [], 0.05)
            if readable and os.read(reader, 1):
                break
            if not init_alive(current) or time.monotonic() > deadline:
                raise ContainerStateError("container init exited before it was started")
    finally:
        os.close(reader)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(fifo)
    hooks = current.config.get("hooks") or {}
    with contextlib.suppress(Exception):
        run_hooks(hooks, ("poststart",), current.to_oci("running"))


def kill(state_root: Path, container_id: str, signal: int,
         all_processes: bool = False) -> None:
    current = read_state(state_root, container_id)
    stopped = status_of(state_root, current) == "stopped"
    if all_processes:  # like runc: every process left in the cgroup, none is not an error
        with contextlib.suppress(FileNotFoundError):
            _cgroup(current).kill_all(signal)
        return
    if stopped:
        raise ContainerStateError("container not running")
    try:
        os.kill(current.pid, signal)
    except ProcessLookupError as exc:
        raise ContainerStateError("container not running") from exc


def _wait_stopped(current: ContainerState) -> None:
    deadline = time.monotonic() + STOP_TIMEOUT
    while init_alive(current) and time.monotonic() < deadline:
        time.sleep(0.01)


def _remove_cgroup(cgroup: Cgroup) -> None:
    deadline = time.monotonic() + STOP_TIMEOUT
    while True:
        try:
            cgroup.remove()
            return
        except OSError as exc:
            if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                raise
            cgroup.kill_all(signals.SIGKILL)


def delete(state_root: Path, container_id: str, force: bool = False) -> None:
    """Remove a stopped (or, with ``force`` or when only created, a live) container:
    its processes, cgroup and state. ``force`` also clears what a create that died half
    way left (a state directory without state.json)."""
    directory = container_dir(state_root, container_id)
    if force and directory.is_dir() and not (directory / "state.json").exists():
        shutil.rmtree(directory, ignore_errors=True)
        return
    current = read_state(state_root, container_id)
    status = status_of(state_root, current)
    cgroup = _cgroup(current)
    if status in ("running", "paused") and not force:
        raise ContainerStateError(
            f"cannot delete container {container_id} that is not stopped: {status}")
    if status != "stopped":
        with contextlib.suppress(OSError):
            cgroup.kill_all(signals.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(current.pid, signals.SIGKILL)
        _wait_stopped(current)
    _remove_cgroup(cgroup)
    with contextlib.suppress(Exception):
        run_hooks(current.config.get("hooks") or {}, ("poststop",), current.to_oci("stopped"))
    shutil.rmtree(container_dir(state_root, container_id), ignore_errors=True)


def pause(state_root: Path, container_id: str) -> None:
    current = read_state(state_root, container_id)
    if status_of(state_root, current) not in ("running", "created"):
        raise ContainerStateError("container not running or created")
    _cgroup(current).freeze()


def resume(state_root: Path, container_id: str) -> None:
    current = read_state(state_root, container_id)
    if status_of(state_root, current) != "paused":
        raise ContainerStateError("container not paused")
    _cgroup(current).thaw()


def processes(state_root: Path, container_id: str) -> list[int]:
    """Host pids of every process in the container's cgroup."""
    return _cgroup(read_state(state_root, container_id)).pids()
