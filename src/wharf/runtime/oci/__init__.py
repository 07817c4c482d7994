"""wharf's own OCI runtime (runc's contract), usable in-process and as ``wharf-runtime``.

    create(state_root, id, bundle, *, console_socket, pid_file, preserve_fds) -> pid
    start(state_root, id); run(...) -> pid; state(state_root, id) -> dict
    kill(state_root, id, signal, all_processes=False); delete(state_root, id, force=False)
    exec_process(state_root, id, process, *, console_socket, pid_file, detach) -> pid
    pause / resume / processes

Failures raise ``RuntimeCreateError`` (runc's wording) or ``ContainerStateError``.

The names are imported on first use (PEP 562): ``wharf-runtime`` is started anew for every
call containerd makes, and ``state`` or ``kill`` need none of what ``create`` imports. A
process that forks workers (the shim server) calls ``preload()`` first, so each fork finds
everything imported already.

Two submodules share their names with functions (``create``, ``state``); the package keeps
the functions under those names, as an eager ``from ... import`` would, even though the
import system sets a package attribute for every submodule it loads.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from wharf.runtime.oci.create import create
    from wharf.runtime.oci.errors import ContainerStateError, RuntimeCreateError
    from wharf.runtime.oci.execproc import exec_process
    from wharf.runtime.oci.lifecycle import (
        delete,
        kill,
        pause,
        processes,
        resume,
        start,
        state,
    )

__all__ = [
    "ContainerStateError", "RuntimeCreateError", "create", "delete", "exec_process", "kill",
    "pause", "preload", "processes", "resume", "run", "start", "state",
]

_HOMES = {
    "create": "create", "exec_process": "execproc",
    "ContainerStateError": "errors", "RuntimeCreateError": "errors",
    **{name: "lifecycle"
       for name in ("delete", "kill", "pause", "processes", "resume", "start", "state")},
}


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if name in _HOMES and isinstance(value, types.ModuleType):
            return  # the import system binding submodule create/state: keep the API name
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def preload() -> None:
    """Import every part of the runtime now (before forking workers that will use it)."""
    for name in _HOMES:
        __getattr__(name)
    importlib.import_module(f"{__name__}.main")


def run(state_root: Path, container_id: str, bundle: Path, *,
        console_socket: str | None = None, pid_file: Path | None = None,
        preserve_fds: int = 0, no_pivot: bool = False,
        console_clear_onlcr: bool = False) -> int:
    """create + start; returns the init's host pid."""
    from wharf.runtime.oci.create import create
    from wharf.runtime.oci.lifecycle import delete, start

    pid = create(state_root, container_id, bundle, console_socket=console_socket,
                 pid_file=pid_file, preserve_fds=preserve_fds, no_pivot=no_pivot,
                 console_clear_onlcr=console_clear_onlcr)
    try:
        start(state_root, container_id)
    except BaseException:
        delete(state_root, container_id, force=True)
        raise
    return pid
