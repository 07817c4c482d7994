"""Run wharf's Python from a sealed, read-only copy of the interpreter (CVE-2019-5736 class).

Every process that enters a container (the init, an exec'd process, until their final
execve) is a fork of wharf's Python, so its ``/proc/<pid>/exe`` is the interpreter. Container
root can reach that link (``--entrypoint /proc/self/exe``, a ``#!/proc/self/exe`` script, or
``/proc/<pid>/exe`` of a runtime process) and must never be able to write through it.

So each entry point that leads into a container re-executes itself, once, from a copy that
cannot be written, before doing anything else (``reexec_sealed``), as runc 1.2 does:

1. a detached overlayfs mount made with fsopen/fsconfig/fsmount whose lower layers are the
   interpreter's directory and an empty directory, attached to no path (no upper layer: the
   superblock is read-only, so an open for writing fails with EROFS), and the interpreter opened
   through it; no copy, page cache shared with the host binary;
2. where overlayfs cannot be used, a memfd copy of the interpreter sealed against any change
   (F_SEAL_SEAL|SHRINK|GROW|WRITE: writes fail with EPERM). The copy is made by the process that
   re-executes, before it joins any container cgroup, so it is never charged to a container.

argv[0] stays the venv's ``python`` path, so CPython finds its prefix, venv and site-packages
exactly as before (it never reads /proc/self/exe for that). The non-dumpable protection stays:
it keeps container processes from opening a runtime process's /proc files at all.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import sys
from functools import cache
from pathlib import Path

__all__ = ["SEALED_ENV", "SealError", "is_sealed", "open_sealed_interpreter", "reexec_sealed"]

SEALED_ENV = "_WHARF_SEALED_REEXEC"  # set across the one re-exec, removed right after it
SYS_FSOPEN = 430
SYS_FSCONFIG = 431
SYS_FSMOUNT = 432
FSOPEN_CLOEXEC = 0x1
FSMOUNT_CLOEXEC = 0x1
FSCONFIG_SET_STRING = 1
FSCONFIG_CMD_CREATE = 6
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
MOUNT_ATTR_NODEV = 0x4
MFD_EXEC = 0x10  # Linux 6.3+: without it a vm.memfd_noexec host makes the memfd non-executable
SEALS = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE
COPY_CHUNK = 1 << 20


class SealError(OSError):
    """The interpreter could not be sealed, or a re-exec did not end up sealed."""


@cache
def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _syscall(what: str, number: int, *args: object) -> int:
    result = int(_libc().syscall(number, *args))
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def interpreter_path() -> Path:
    """The host file the running interpreter was started from (the venv's python resolved)."""
    return Path(os.path.realpath(getattr(sys, "_base_executable", "") or sys.executable))


def _escape_lowerdir(path: str) -> str:
    return path.replace("\\", "\\\\").replace(":", "\\:")


def overlay_interpreter(binary: Path) -> int:
    """An O_PATH fd of ``binary`` seen through a private, read-only overlayfs mount."""
    import tempfile  # here, not at the top: forked shims would carry it (and random) for nothing

    empty = tempfile.mkdtemp(prefix="wharf-sealed-")  # the second lower layer overlayfs needs
    try:
        context = _syscall("fsopen overlay", SYS_FSOPEN, b"overlay", FSOPEN_CLOEXEC)
        try:
            lower = f"{_escape_lowerdir(str(binary.parent))}:{_escape_lowerdir(empty)}"
            _syscall("fsconfig lowerdir", SYS_FSCONFIG, context, FSCONFIG_SET_STRING,
                     b"lowerdir", os.fsencode(lower), 0)
            _libc().syscall(SYS_FSCONFIG, context, FSCONFIG_SET_STRING, b"xino", b"off", 0)
            _syscall("fsconfig create", SYS_FSCONFIG, context, FSCONFIG_CMD_CREATE,
                     None, None, 0)
            mount = _syscall("fsmount", SYS_FSMOUNT, context, FSMOUNT_CLOEXEC,
                             MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
        finally:
            os.close(context)
        try:
            return os.open(binary.name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=mount)
        finally:
            os.close(mount)
    finally:
        os.rmdir(empty)  # the mount keeps its own reference to the (now removed) directory


def memfd_interpreter(binary: Path) -> int:
    """A sealed in-memory copy of ``binary`` (no path on any file system)."""
    flags = os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING
    try:
        fd = os.memfd_create("wharf-python", flags | MFD_EXEC)
    except OSError as exc:
        if exc.errno != errno.EINVAL:  # a kernel before 6.3 does not know MFD_EXEC
            raise
        fd = os.memfd_create("wharf-python", flags)
    try:
        with open(binary, "rb") as source, os.fdopen(os.dup(fd), "wb") as copy:
            shutil.copyfileobj(source, copy, COPY_CHUNK)
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SEALS)
        # execve refuses a file open for writing (ETXTBSY): keep a read-only fd only
        return os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(fd)


def open_sealed_interpreter(binary: Path | None = None) -> int:
    """An executable fd of the interpreter that nobody can write through (CLOEXEC)."""
    target = binary or interpreter_path()
    try:
        return overlay_interpreter(target)
    except OSError:
        pass  # no fsopen (Linux < 5.2), no overlayfs, or no CAP_SYS_ADMIN: copy it instead
    try:
        return memfd_interpreter(target)
    except OSError as exc:
        raise SealError(exc.errno or errno.EPERM,
                        f"cannot make a sealed copy of {target}: {exc.strerror or exc}") from exc


def is_sealed(exe: str = "/proc/self/exe") -> bool:
    """Whether ``exe`` cannot be written: a memfd sealed against writes, or a file on a
    read-only mount or file system (the private overlay above is both)."""
    try:
        fd = os.open(exe, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        try:
            if fcntl.fcntl(fd, fcntl.F_GET_SEALS) & fcntl.F_SEAL_WRITE:
                return True
        except OSError:
            pass  # not a memfd
        return bool(os.fstatvfs(fd).f_flag & os.ST_RDONLY)
    finally:
        os.close(fd)


def reexec_sealed(argv: list[str] | None = None) -> None:
    """Re-execute this process from the sealed interpreter unless it runs from one already.
    Returns only when sealed; raises ``SealError`` when it cannot be (never loops: the
    environment marker says a re-exec already happened)."""
    marker = os.environ.pop(SEALED_ENV, None)  # never inherited by hooks or containers
    if is_sealed():
        return
    if marker is not None:
        raise SealError(errno.EPERM, "re-executed from a sealed interpreter, but "
                        "/proc/self/exe is still writable")
    command = list(argv if argv is not None else sys.orig_argv)
    command[0] = sys.executable or command[0]  # the venv's python: prefix and site as before
    fd = open_sealed_interpreter()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(fd, command, {**os.environ, SEALED_ENV: "1"})
