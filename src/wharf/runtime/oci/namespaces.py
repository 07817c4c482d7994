"""Which namespaces a container gets: new ones (unshare) or existing ones (setns to a path)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

from wharf.runtime.oci import syscalls as sc
from wharf.runtime.oci.config import Namespace
from wharf.runtime.oci.errors import RuntimeCreateError
from wharf.runtime.oci.syscalls import Syscalls

NAMESPACE_FLAGS = {
    "mount": sc.CLONE_NEWNS, "network": sc.CLONE_NEWNET, "uts": sc.CLONE_NEWUTS,
    "ipc": sc.CLONE_NEWIPC, "pid": sc.CLONE_NEWPID, "cgroup": sc.CLONE_NEWCGROUP,
    "user": sc.CLONE_NEWUSER, "time": sc.CLONE_NEWTIME,
}
PROC_NAMES = {
    "mount": "mnt", "network": "net", "uts": "uts", "ipc": "ipc", "pid": "pid",
    "cgroup": "cgroup", "user": "user", "time": "time",
}
# setns order for exec: the mount namespace last (it changes our root and cwd)
JOIN_ORDER = ("cgroup", "ipc", "uts", "network", "pid", "time", "mount")


@dataclass(frozen=True)
class NamespacePlan:
    """New namespaces as one unshare mask; existing ones as open fds to setns to."""

    unshare_flags: int
    joins: tuple[tuple[int, int], ...]  # (fd, CLONE_NEW* flag)

    def enter(self, syscalls: Syscalls) -> None:
        for fd, flag in self.joins:
            syscalls.setns(fd, flag)
        if self.unshare_flags:
            syscalls.unshare(self.unshare_flags)
        if self.unshare_flags & sc.CLONE_NEWNET:
            # a new net namespace starts with lo down; Docker's containers have it up
            syscalls.set_link_up("lo")

    def close(self) -> None:
        for fd, _ in self.joins:
            with contextlib.suppress(OSError):
                os.close(fd)


def _open_ns(path: str, kind: str) -> int:
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise RuntimeCreateError(f"cannot open {kind} namespace {path}: {exc.strerror}") from exc


def plan_for_create(namespaces: tuple[Namespace, ...]) -> NamespacePlan:
    kinds = {ns.type for ns in namespaces}
    if "user" in kinds:
        raise RuntimeCreateError("user namespaces are not supported by wharf-runtime")
    if "mount" not in kinds:
        raise RuntimeCreateError("a mount namespace is required")
    unknown = kinds - NAMESPACE_FLAGS.keys()
    if unknown:
        raise RuntimeCreateError(f"unknown namespace type {sorted(unknown)[0]}")
    flags = 0
    joins: list[tuple[int, int]] = []
    for ns in namespaces:
        if ns.path:
            joins.append((_open_ns(ns.path, ns.type), NAMESPACE_FLAGS[ns.type]))
        else:
            flags |= NAMESPACE_FLAGS[ns.type]
    return NamespacePlan(unshare_flags=flags, joins=tuple(joins))


def plan_for_exec(init_pid: int, namespaces: tuple[Namespace, ...]) -> NamespacePlan:
    """Join every namespace the init has (as configured), through /proc/<pid>/ns/*."""
    kinds = {ns.type for ns in namespaces} - {"user"}
    joins = [
        (_open_ns(f"/proc/{init_pid}/ns/{PROC_NAMES[kind]}", kind), NAMESPACE_FLAGS[kind])
        for kind in JOIN_ORDER if kind in kinds
    ]
    return NamespacePlan(unshare_flags=0, joins=tuple(joins))
