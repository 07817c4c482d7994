"""The host before and after the whole test run: network links, mounts, cgroups and wharf's
firewall rules.

Tests create real mounts, cgroups, bridges and namespaces; each must remove what it made, even
when it fails, and none may touch what the host or another engine owns (a dockerd started with
``--bridge none`` once deleted a running Docker's docker0). ``changes`` lists every difference
between two snapshots, except what belongs to the host's own churn: other engines' containers
coming and going, systemd's session scopes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
NET_CLASS = Path("/sys/class/net")
# Other engines' and the init system's own: their containers, scopes and mounts come and go
# while the tests run, without the tests having a part in it.
FOREIGN_MOUNT_PREFIXES = ("/var/lib/docker/", "/run/docker/", "/var/run/docker/",
                          "/run/containerd/", "/var/lib/containerd/", "/run/user/",
                          "/var/lib/fresh-debian/", "/run/fresh-debian/", "/run/netns/docker")
FOREIGN_CGROUP_PARTS = ("docker", "system.slice", "user.slice", "init.scope", "containerd")


@dataclass(frozen=True)
class HostState:
    links: frozenset[str]
    mounts: frozenset[str]  # "<mount point> <fstype>"
    cgroups: frozenset[str]  # directories relative to /sys/fs/cgroup
    rules: frozenset[str] = frozenset()  # "<binary> <table> <rule>" in wharf's chains


def _firewall_rules() -> frozenset[str]:
    """The rules in wharf's chains that name an interface or translate an address: each is a
    bridge's or a published port's. (The shared base chains and jumps stay, by design.)"""
    found = set()
    for binary in ("iptables", "ip6tables"):
        if shutil.which(binary) is None:
            continue
        for table in ("filter", "nat"):
            listing = subprocess.run([binary, "-t", table, "-S"], capture_output=True,
                                     text=True, timeout=30).stdout
            for line in listing.splitlines():
                if line.startswith("-A WHARF") and any(
                        word in line for word in (" -i ", " -o ", "DNAT", "MASQUERADE")):
                    found.add(f"{binary} {table} {line}")
    return frozenset(found)


def _links() -> frozenset[str]:
    try:
        return frozenset(entry.name for entry in NET_CLASS.iterdir())
    except OSError:
        return frozenset()


def _mounts() -> frozenset[str]:
    entries = set()
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        before, _, after = line.partition(" - ")
        point = before.split()[4].replace("\\040", " ")
        if not point.startswith(FOREIGN_MOUNT_PREFIXES):
            entries.add(f"{point} {after.split()[0]}")
    return frozenset(entries)


def _cgroups(max_depth: int = 4) -> frozenset[str]:
    found = set()
    for top, dirs, _ in os.walk(CGROUP_ROOT):
        rel = os.path.relpath(top, CGROUP_ROOT)
        parts = [] if rel == "." else rel.split(os.sep)
        if any(part.startswith(FOREIGN_CGROUP_PARTS) for part in parts):
            dirs[:] = []
            continue
        if parts:
            found.add(rel)
        if len(parts) >= max_depth:
            dirs[:] = []
    return frozenset(found)


def snapshot() -> HostState:
    return HostState(_links(), _mounts(), _cgroups(), _firewall_rules())


def _foreign_veth(name: str, before: HostState) -> bool:
    """A host-side veth of another engine's container: enslaved to a bridge that was there
    before the tests and is not ours."""
    try:
        master = os.path.basename(os.readlink(NET_CLASS / name / "master"))
    except OSError:
        return False
    return name.startswith("veth") and master in before.links


def changes(before: HostState, after: HostState) -> list[str]:
    """What the run left on the host or took from it, one line each (empty: nothing)."""
    found = []
    for kind, old, new in (("network link", before.links, after.links),
                           ("mount", before.mounts, after.mounts),
                           ("cgroup", before.cgroups, after.cgroups),
                           ("firewall rule", before.rules, after.rules)):
        for item in sorted(new - old):
            if kind == "network link" and _foreign_veth(item, before):
                continue
            found.append(f"{kind} added: {item}")
        found.extend(f"{kind} removed: {item}" for item in sorted(old - new))
    return found
