"""Take the kernel's cgroup attach lock early, so a container's first cgroup.procs write is quick.

Moving a process between cgroups (a write to ``cgroup.procs``) takes the global
``cgroup_threadgroup_rwsem`` for writing. That per-cpu rwsem first waits for an RCU grace period
(``rcu_sync_enter``: 6-30 ms here) unless a writer held it within about the last grace period,
in which case it is taken at once. A container start pays that wait in the runtime's
intermediate process, on the critical path.

``warm_attach_lock`` writes ``0`` (the writer itself) to the ``cgroup.procs`` of the cgroup the
caller is already in: a migration that moves nothing but takes (and waits for) the lock. Run
from a process that has nothing else to do, at the moment a container start begins (the shim
server's short-lived intermediate does it), the grace period passes while the shim sets up, and
the runtime's own write moments later finds the lock warm.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from wharf.runtime.cgroups.layout import CgroupLayout, detect_layout

__all__ = ["own_procs_file", "warm_attach_lock"]

PROC_SELF_CGROUP = Path("/proc/self/cgroup")


def own_procs_file(layout: CgroupLayout, proc_cgroup: str) -> Path | None:
    """The ``cgroup.procs`` of the caller's own cgroup in one hierarchy it is in (``None``
    when no hierarchy of ``layout`` lists it). ``proc_cgroup`` is ``/proc/self/cgroup``."""
    for line in proc_cgroup.splitlines():
        _, controllers, path = [*line.split(":", 2), "", ""][:3]
        if layout.version == 2 and controllers == "" and layout.unified is not None:
            return layout.unified / layout.visible_path("", path) / "cgroup.procs"
        if layout.version == 1 and controllers:
            key = ",".join(sorted(controllers.split(",")))
            mount = layout.hierarchies.get(key)
            if mount is not None:
                return mount / layout.visible_path(key, path) / "cgroup.procs"
    return None


def warm_attach_lock() -> bool:
    """Re-attach the caller to its own cgroup (a no-op move); False when that was not
    possible (no cgroup filesystem, no permission). Blocks for up to one grace period."""
    with contextlib.suppress(OSError):
        procs = own_procs_file(detect_layout(), PROC_SELF_CGROUP.read_text())
        if procs is not None:
            fd = os.open(procs, os.O_WRONLY | os.O_CLOEXEC)
            try:
                os.write(fd, b"0")
            finally:
                os.close(fd)
            return True
    return False
