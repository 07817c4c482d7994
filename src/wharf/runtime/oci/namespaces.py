"""Which namespaces a container gets: new ones (unshare) or existing ones (setns to a path).

Order (runc's): join the namespaces given by path (a user namespace first), then make a new
user namespace if asked (the parent writes its uid/gid maps meanwhile) and become its root,
then make the other new namespaces, which the new user namespace then owns.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass

from wharf.runtime.oci import syscalls as sc
from wharf.runtime.oci.config import IdMapping, Namespace
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
# setns order: the user namespace first (it owns the others), mount last (it changes our
# root and cwd)
JOIN_ORDER = ("user", "cgroup", "ipc", "uts", "network", "pid", "time", "mount")


def _join_rank(join: tuple[int, int]) -> int:
    flags = [NAMESPACE_FLAGS[kind] for kind in JOIN_ORDER]
    return flags.index(join[1])


@dataclass(frozen=True)
class NamespacePlan:
    """New namespaces as one unshare mask; existing ones as open fds to setns to."""

    unshare_flags: int
    joins: tuple[tuple[int, int], ...]  # (fd, CLONE_NEW* flag)

    def enter(self, syscalls: Syscalls, await_id_maps: Callable[[], None] | None = None
              ) -> None:
        """Enter the namespaces; ``await_id_maps`` returns once the parent has written the
        new user namespace's uid/gid maps (needed when the plan makes one)."""
        for fd, flag in sorted(self.joins, key=_join_rank):
            syscalls.setns(fd, flag)
        if self.unshare_flags & sc.CLONE_NEWUSER:
            syscalls.unshare(sc.CLONE_NEWUSER)
            if await_id_maps is None:
                raise RuntimeCreateError("a new user namespace needs its id maps written")
            await_id_maps()
        if any(flag == sc.CLONE_NEWUSER for _, flag in self.joins) or \
                self.unshare_flags & sc.CLONE_NEWUSER:
            syscalls.setresgid(0)  # root of the user namespace from now on
            syscalls.setresuid(0)
        rest = self.unshare_flags & ~sc.CLONE_NEWUSER
        if rest:
            syscalls.unshare(rest)
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
    kinds = {ns.type for ns in namespaces}
    joins = [
        (_open_ns(f"/proc/{init_pid}/ns/{PROC_NAMES[kind]}", kind), NAMESPACE_FLAGS[kind])
        for kind in JOIN_ORDER if kind in kinds
    ]
    return NamespacePlan(unshare_flags=0, joins=tuple(joins))


def write_id_maps(pid: int, uid_mappings: tuple[IdMapping, ...],
                  gid_mappings: tuple[IdMapping, ...]) -> None:
    """Write the uid/gid maps of ``pid``'s new user namespace (each map in one write, as the
    kernel wants); the caller is root in the parent user namespace."""
    for name, mappings in (("uid_map", uid_mappings), ("gid_map", gid_mappings)):
        text = "".join(mapping.line() for mapping in mappings).encode()
        try:
            fd = os.open(f"/proc/{pid}/{name}", os.O_WRONLY | os.O_CLOEXEC)
            try:
                os.write(fd, text)
            finally:
                os.close(fd)
        except OSError as exc:
            raise RuntimeCreateError(f"writing {name} of the user namespace: "
                                     f"{exc.strerror}") from exc
