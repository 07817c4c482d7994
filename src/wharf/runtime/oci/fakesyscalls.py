"""A recording ``Syscalls`` for unit tests: nothing privileged happens, every call is kept."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

FD_PATHS = "/proc/self/fd/"


def landing(path: str) -> str:
    """Where the kernel would act for ``path`` now: a ``/proc/self/fd/N[/name]`` path (the
    steps mount and mknod onto fds) is recorded as the file it reaches, so tests can assert
    what was hit even after the tree changed."""
    if not path.startswith(FD_PATHS):
        return path
    return os.path.realpath(path)


@dataclass(frozen=True)
class Call:
    """One recorded system call: its name and arguments."""

    name: str
    args: tuple[object, ...]


@dataclass
class RecordingSyscalls:
    """Records each call in order; ``fail_on`` makes the named call raise ``OSError``."""

    calls: list[Call] = field(default_factory=list)
    fail_on: dict[str, int] = field(default_factory=dict)
    trees: dict[int, str] = field(default_factory=dict)  # open_tree fd → where it is now

    def _where(self, path: str) -> str:
        number = path.removeprefix(FD_PATHS)
        if number.isdigit() and int(number) in self.trees and \
                os.readlink(path) == os.devnull:  # (not a later fd that reuses the number)
            return self.trees[int(number)]
        return landing(path)

    def _record(self, name: str, *args: object) -> None:
        self.calls.append(Call(name, args))
        if name in self.fail_on:
            raise OSError(self.fail_on[name], f"{name} failed")

    def names(self) -> list[str]:
        return [call.name for call in self.calls]

    def unshare(self, flags: int) -> None:
        self._record("unshare", flags)

    def setns(self, fd: int, nstype: int) -> None:
        self._record("setns", fd, nstype)

    def mount(
        self, source: str | None, target: str, fstype: str | None, flags: int, data: str | None
    ) -> None:
        self._record("mount", source, self._where(target), fstype, flags, data)

    def umount2(self, target: str, flags: int) -> None:
        self._record("umount2", target, flags)

    def open_tree(self, path: str, recursive: bool) -> int:
        """An fd of /dev/null stands for the detached tree (the caller closes it); the fake
        remembers it as ``path`` until it is attached, then as where it was attached."""
        self._record("open_tree", path, recursive)
        fd = os.open(os.devnull, os.O_PATH | os.O_CLOEXEC)
        self.trees[fd] = path
        return fd

    def move_mount(self, tree_fd: int, target_fd: int) -> None:
        target = landing(f"{FD_PATHS}{target_fd}")
        self._record("move_mount", self.trees.get(tree_fd), target)
        self.trees[tree_fd] = target

    def mount_setattr(self, fd: int, recursive: bool, attr_set: int, attr_clear: int) -> None:
        self._record("mount_setattr", self._where(f"{FD_PATHS}{fd}"), recursive, attr_set,
                     attr_clear)

    def pivot_root(self, new_root: str, put_old: str) -> None:
        self._record("pivot_root", new_root, put_old)

    def chroot(self, path: str) -> None:
        self._record("chroot", path)

    def chdir(self, path: str) -> None:
        self._record("chdir", path)

    def fchdir(self, fd: int) -> None:
        self._record("fchdir", fd)

    def set_link_up(self, name: str) -> None:
        self._record("set_link_up", name)

    def sethostname(self, name: str) -> None:
        self._record("sethostname", name)

    def setdomainname(self, name: str) -> None:
        self._record("setdomainname", name)

    def mknod(self, path: str, mode: int, device: int) -> None:
        self._record("mknod", landing(path), mode, device)

    def setrlimit(self, limit: int, soft: int, hard: int) -> None:
        self._record("setrlimit", limit, soft, hard)

    def capbset_drop(self, cap: int) -> None:
        self._record("capbset_drop", cap)

    def capset(self, effective: int, permitted: int, inheritable: int) -> None:
        self._record("capset", effective, permitted, inheritable)

    def cap_ambient_raise(self, cap: int) -> None:
        self._record("cap_ambient_raise", cap)

    def set_keepcaps(self, keep: bool) -> None:
        self._record("set_keepcaps", keep)

    def set_no_new_privs(self) -> None:
        self._record("set_no_new_privs")

    def set_dumpable(self, dumpable: bool) -> None:
        self._record("set_dumpable", dumpable)

    def setgroups(self, groups: list[int]) -> None:
        self._record("setgroups", tuple(groups))

    def setresgid(self, gid: int) -> None:
        self._record("setresgid", gid)

    def setresuid(self, uid: int) -> None:
        self._record("setresuid", uid)

    def umask(self, mask: int) -> None:
        self._record("umask", mask)

    def close_range(self, first: int, last: int) -> None:
        self._record("close_range", first, last)

    def seccomp_load(self, program: bytes) -> None:
        self._record("seccomp_load", len(program))

    def execve(self, path: str, args: list[str], env: list[str]) -> None:
        self._record("execve", path, tuple(args), tuple(env))
