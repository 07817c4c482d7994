"""Where the cgroup hierarchies are mounted, read from /proc/self/mountinfo (v1 or v2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MOUNTINFO = Path("/proc/self/mountinfo")


@dataclass(frozen=True)
class CgroupLayout:
    """v1: ``hierarchies`` maps a hierarchy's controllers (``"cpu,cpuacct"``,
    ``"name=systemd"``) to its mount point. v2: ``unified`` is the cgroup2 mount.

    ``mount_roots`` maps the same keys (``""`` for the cgroup2 mount) to the cgroup each mount
    shows at its mount point: ``/`` on a host, the container's own cgroup inside a container
    without a cgroup namespace (where /proc/self/cgroup still names host paths)."""

    version: int
    unified: Path | None = None
    hierarchies: dict[str, Path] = field(default_factory=dict)
    mount_roots: dict[str, str] = field(default_factory=dict)

    def visible_path(self, key: str, cgroup: str) -> str:
        """``cgroup`` (as /proc/<pid>/cgroup names it) relative to the mount of ``key``."""
        root = self.mount_roots.get(key, "/").rstrip("/")
        if root and (cgroup == root or cgroup.startswith(root + "/")):
            cgroup = cgroup[len(root):]
        return cgroup.lstrip("/")


def _unescape(text: str) -> str:
    return text.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n") \
        .replace("\\134", "\\")


def parse_mountinfo(text: str) -> CgroupLayout:
    """Pick the layout the host uses: v1 when any v1 controller is mounted (hybrid hosts keep
    an empty cgroup2 at .../unified), else v2."""
    hierarchies: dict[str, Path] = {}
    roots: dict[str, str] = {}
    unified: Path | None = None
    for line in text.splitlines():
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if len(fields) < 5 or len(tail) < 3:
            continue
        root, mount_point = _unescape(fields[3]), _unescape(fields[4])
        fstype, super_options = tail[0], tail[2]
        if fstype == "cgroup2" and unified is None:
            unified = Path(mount_point)
            roots[""] = root
        elif fstype == "cgroup":
            controllers = [opt for opt in super_options.split(",")
                           if opt not in ("rw", "ro") and not opt.startswith(("release_agent",
                                                                              "clone_children",
                                                                              "xattr"))]
            key = ",".join(sorted(controllers))
            if controllers and key not in hierarchies:
                hierarchies[key] = Path(mount_point)
                roots[key] = root
    if any(not name.startswith("name=") for name in hierarchies):
        return CgroupLayout(version=1, unified=unified, hierarchies=hierarchies,
                            mount_roots=roots)
    return CgroupLayout(version=2, unified=unified, mount_roots=roots)


def detect_layout(mountinfo: Path = MOUNTINFO) -> CgroupLayout:
    return parse_mountinfo(mountinfo.read_text())


def normalize_cgroups_path(path: str, container_id: str = "") -> str:
    """``/wharf/<id>`` stays; systemd's ``slice:prefix:name`` becomes ``/slice/prefix-name.scope``
    (the runtime treats ``--systemd-cgroup`` as cgroupfs); empty means ``/wharf/<id>``."""
    if not path:
        return f"/wharf/{container_id}"
    if ":" in path and not path.startswith("/"):
        slice_name, prefix, name = [*path.split(":"), "", ""][:3]
        scope = f"{prefix}-{name}.scope" if prefix else f"{name}.scope"
        return "/" + "/".join(part for part in (slice_name or "system.slice", scope) if part)
    return path if path.startswith("/") else "/" + path
