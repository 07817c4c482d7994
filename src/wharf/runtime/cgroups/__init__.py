"""Container cgroups, v1 or v2 (detected from /proc/self/mountinfo, never assumed).

``open_cgroup("/wharf/<id>")`` returns a ``Cgroup``: ``create``, ``apply`` (OCI
``linux.resources``), ``add``, ``pids``, ``freeze``/``thaw``, ``oom_killed``,
``memory_usage``, ``kill_all``, ``remove``.
"""

from __future__ import annotations

from wharf.runtime.cgroups.base import Cgroup
from wharf.runtime.cgroups.layout import (
    CgroupLayout,
    detect_layout,
    normalize_cgroups_path,
    parse_mountinfo,
)
from wharf.runtime.cgroups.v1 import CgroupV1
from wharf.runtime.cgroups.v2 import CgroupV2

__all__ = [
    "Cgroup", "CgroupLayout", "CgroupV1", "CgroupV2", "detect_layout", "normalize_cgroups_path",
    "open_cgroup", "parse_mountinfo",
]


def open_cgroup(path: str, layout: CgroupLayout | None = None) -> Cgroup:
    """The cgroup at ``path`` (e.g. ``/wharf/<id>``) in the host's layout; nothing is created
    until ``create()``."""
    layout = layout or detect_layout()
    if layout.version == 1:
        return CgroupV1(path, dict(layout.hierarchies))
    if layout.unified is None:
        raise OSError("no cgroup2 hierarchy is mounted")
    return CgroupV2(path, layout.unified)
