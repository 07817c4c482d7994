"""The privileged system calls the runtime makes, behind one Protocol.

``LinuxSyscalls`` calls libc through ctypes (Python 3.11 has no ``os.unshare``/``os.setns``);
``wharf.runtime.oci.fakesyscalls.RecordingSyscalls`` records calls so the init sequence can be
unit-tested without root. Ordinary file operations (mkdir, open, symlink) are not part of the
Protocol: they work unprivileged on a temp directory, so steps use ``os`` for them.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import resource
import socket
import struct
from dataclasses import dataclass
from typing import Protocol

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1

CLONE_NEWTIME = 0x00000080
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_SYNCHRONOUS = 0x10
MS_REMOUNT = 0x20
MS_MANDLOCK = 0x40
MS_DIRSYNC = 0x80
MS_NOSYMFOLLOW = 0x100
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_BIND = 0x1000
MS_MOVE = 0x2000
MS_REC = 0x4000
MS_SILENT = 0x8000
MS_UNBINDABLE = 0x20000
MS_PRIVATE = 0x40000
MS_SLAVE = 0x80000
MS_SHARED = 0x100000
MS_RELATIME = 0x200000
MS_STRICTATIME = 0x1000000
MS_LAZYTIME = 0x2000000
MNT_DETACH = 0x2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_KEEPCAPS = 8
PR_SET_SECCOMP = 22
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_RAISE = 2
SECCOMP_MODE_FILTER = 2
OPEN_TREE_CLONE = 0x1
AT_EMPTY_PATH = 0x1000
AT_RECURSIVE = 0x8000
MOVE_MOUNT_F_EMPTY_PATH = 0x4
MOVE_MOUNT_T_EMPTY_PATH = 0x40
# the new mount API has one number on every architecture
SYS_OPEN_TREE = 428
SYS_MOVE_MOUNT = 429
SYS_MOUNT_SETATTR = 442
LINUX_CAPABILITY_VERSION_3 = 0x20080522


@dataclass(frozen=True)
class SyscallNumbers:
    """Numbers of the system calls glibc has no wrapper for."""

    pivot_root: int
    capset: int
    close_range: int


SYSCALL_NUMBERS = {
    "x86_64": SyscallNumbers(pivot_root=155, capset=126, close_range=436),
    "aarch64": SyscallNumbers(pivot_root=41, capset=91, close_range=436),
}


class Syscalls(Protocol):
    """Every privileged operation the container init sequence performs."""

    def unshare(self, flags: int) -> None: ...
    def setns(self, fd: int, nstype: int) -> None: ...
    def mount(
        self, source: str | None, target: str, fstype: str | None, flags: int, data: str | None
    ) -> None: ...
    def umount2(self, target: str, flags: int) -> None: ...
    def open_tree(self, path: str, recursive: bool) -> int: ...
    def move_mount(self, tree_fd: int, target_fd: int) -> None: ...
    def mount_setattr(self, fd: int, recursive: bool, attr_set: int, attr_clear: int
                      ) -> None: ...
    def pivot_root(self, new_root: str, put_old: str) -> None: ...
    def chroot(self, path: str) -> None: ...
    def chdir(self, path: str) -> None: ...
    def fchdir(self, fd: int) -> None: ...
    def sethostname(self, name: str) -> None: ...
    def set_link_up(self, name: str) -> None: ...
    def setdomainname(self, name: str) -> None: ...
    def mknod(self, path: str, mode: int, device: int) -> None: ...
    def setrlimit(self, limit: int, soft: int, hard: int) -> None: ...
    def capbset_drop(self, cap: int) -> None: ...
    def capset(self, effective: int, permitted: int, inheritable: int) -> None: ...
    def cap_ambient_raise(self, cap: int) -> None: ...
    def set_keepcaps(self, keep: bool) -> None: ...
    def set_no_new_privs(self) -> None: ...
    def set_dumpable(self, dumpable: bool) -> None: ...
    def setgroups(self, groups: list[int]) -> None: ...
    def setresgid(self, gid: int) -> None: ...
    def setresuid(self, uid: int) -> None: ...
    def umask(self, mask: int) -> None: ...
    def close_range(self, first: int, last: int) -> None: ...
    def seccomp_load(self, program: bytes) -> None: ...
    def execve(self, path: str, args: list[str], env: list[str]) -> None: ...


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _check(result: int, what: str) -> None:
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _b(text: str | None) -> bytes | None:
    return None if text is None else os.fsencode(text)


class LinuxSyscalls:
    """The real implementation: libc through ctypes, plus ``os`` where Python has a wrapper."""

    def __init__(self) -> None:
        self._libc = ctypes.CDLL(None, use_errno=True)  # libc, already loaded: no ldconfig run
        numbers = SYSCALL_NUMBERS.get(os.uname().machine)
        if numbers is None:
            raise OSError(f"unsupported architecture {os.uname().machine}")
        self._nr = numbers
        self._libc.syscall.restype = ctypes.c_long
        self._libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong,
                                     ctypes.c_ulong, ctypes.c_ulong]

    def _prctl(self, option: int, arg2: int = 0, arg3: int = 0, what: str = "prctl") -> None:
        _check(self._libc.prctl(option, arg2, arg3, 0, 0), what)

    def unshare(self, flags: int) -> None:
        _check(self._libc.unshare(flags), f"unshare {flags:#x}")

    def setns(self, fd: int, nstype: int) -> None:
        _check(self._libc.setns(fd, nstype), f"setns {nstype:#x}")

    def mount(
        self, source: str | None, target: str, fstype: str | None, flags: int, data: str | None
    ) -> None:
        result = self._libc.mount(_b(source), _b(target), _b(fstype), ctypes.c_ulong(flags),
                                  _b(data))
        _check(result, f"mount {source} to {target} ({fstype}, flags {flags:#x}, data {data!r})")

    def umount2(self, target: str, flags: int) -> None:
        _check(self._libc.umount2(_b(target), flags), f"umount {target}")

    def open_tree(self, path: str, recursive: bool) -> int:
        """A detached copy of the mount tree at ``path`` (a bind mount not yet attached)."""
        flags = OPEN_TREE_CLONE | os.O_CLOEXEC | (AT_RECURSIVE if recursive else 0)
        result = self._libc.syscall(SYS_OPEN_TREE, -100, _b(path), ctypes.c_uint(flags))
        _check(result, f"open_tree {path}")
        return int(result)

    def move_mount(self, tree_fd: int, target_fd: int) -> None:
        """Attach the detached tree ``tree_fd`` onto what ``target_fd`` is open on."""
        result = self._libc.syscall(SYS_MOVE_MOUNT, tree_fd, b"", target_fd, b"",
                                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)
        _check(result, "move_mount")

    def mount_setattr(self, fd: int, recursive: bool, attr_set: int, attr_clear: int) -> None:
        attr = _MountAttr(attr_set, attr_clear, 0, 0)
        flags = AT_EMPTY_PATH | (AT_RECURSIVE if recursive else 0)
        result = self._libc.syscall(SYS_MOUNT_SETATTR, fd, b"", ctypes.c_uint(flags),
                                    ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)))
        _check(result, "mount_setattr")

    def pivot_root(self, new_root: str, put_old: str) -> None:
        result = self._libc.syscall(self._nr.pivot_root, _b(new_root), _b(put_old))
        _check(result, f"pivot_root {new_root}")

    def chroot(self, path: str) -> None:
        os.chroot(path)

    def chdir(self, path: str) -> None:
        os.chdir(path)

    def fchdir(self, fd: int) -> None:
        os.fchdir(fd)

    def set_link_up(self, name: str) -> None:
        """IFF_UP on a network interface of the current net namespace (SIOCSIFFLAGS)."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            request = struct.pack("16sH14x", name.encode(), 0)
            flags = struct.unpack("16sH14x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
            fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", name.encode(),
                                                        flags | IFF_UP))

    def sethostname(self, name: str) -> None:
        raw = name.encode()
        _check(self._libc.sethostname(raw, ctypes.c_size_t(len(raw))), "sethostname")

    def setdomainname(self, name: str) -> None:
        raw = name.encode()
        _check(self._libc.setdomainname(raw, ctypes.c_size_t(len(raw))), "setdomainname")

    def mknod(self, path: str, mode: int, device: int) -> None:
        os.mknod(path, mode, device)

    def setrlimit(self, limit: int, soft: int, hard: int) -> None:
        resource.setrlimit(limit, (soft, hard))

    def capbset_drop(self, cap: int) -> None:
        self._prctl(PR_CAPBSET_DROP, cap, what=f"drop capability {cap} from bounding set")

    def capset(self, effective: int, permitted: int, inheritable: int) -> None:
        header = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
        data = (_CapData * 2)()
        for index in range(2):
            shift = 32 * index
            data[index].effective = (effective >> shift) & 0xFFFFFFFF
            data[index].permitted = (permitted >> shift) & 0xFFFFFFFF
            data[index].inheritable = (inheritable >> shift) & 0xFFFFFFFF
        result = self._libc.syscall(self._nr.capset, ctypes.byref(header), ctypes.byref(data))
        _check(result, "capset")

    def cap_ambient_raise(self, cap: int) -> None:
        self._prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, what=f"raise ambient cap {cap}")

    def set_keepcaps(self, keep: bool) -> None:
        self._prctl(PR_SET_KEEPCAPS, int(keep), what="PR_SET_KEEPCAPS")

    def set_no_new_privs(self) -> None:
        self._prctl(PR_SET_NO_NEW_PRIVS, 1, what="PR_SET_NO_NEW_PRIVS")

    def set_dumpable(self, dumpable: bool) -> None:
        self._prctl(PR_SET_DUMPABLE, int(dumpable), what="PR_SET_DUMPABLE")

    def setgroups(self, groups: list[int]) -> None:
        os.setgroups(groups)

    def setresgid(self, gid: int) -> None:
        os.setresgid(gid, gid, gid)

    def setresuid(self, uid: int) -> None:
        os.setresuid(uid, uid, uid)

    def umask(self, mask: int) -> None:
        os.umask(mask)

    def close_range(self, first: int, last: int) -> None:
        result = self._libc.syscall(self._nr.close_range, ctypes.c_uint(first),
                                    ctypes.c_uint(last), ctypes.c_uint(0))
        if result < 0 and ctypes.get_errno() == errno.ENOSYS:  # Linux < 5.9
            os.closerange(first, min(last + 1, os.sysconf("SC_OPEN_MAX")))
            return
        _check(result, "close_range")

    def seccomp_load(self, program: bytes) -> None:
        buffer = ctypes.create_string_buffer(program, len(program))
        fprog = _SockFprog(len(program) // 8, ctypes.addressof(buffer))
        _check(self._libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog),
                                0, 0), "load seccomp filter")

    def execve(self, path: str, args: list[str], env: list[str]) -> None:
        environ = dict(item.partition("=")[::2] for item in env)
        os.execve(path, args, environ)


def set_child_subreaper() -> None:
    """Make the calling process reap orphaned descendants (containers' inits)."""
    libc = ctypes.CDLL(None, use_errno=True)  # libc, already loaded: no ldconfig run
    _check(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "PR_SET_CHILD_SUBREAPER")
