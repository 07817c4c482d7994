"""The few mount syscalls the snapshotters need (ctypes; no external binaries), and the safe
removal of a tree that may have something mounted in it."""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import stat
from collections.abc import Iterator
from functools import cache
from pathlib import Path

MS_BIND = 4096
MNT_DETACH = 2
UMOUNT_NOFOLLOW = 8
_PAGE_LIMIT = os.sysconf("SC_PAGE_SIZE") - 1


@cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def option_fits(options: str) -> bool:
    """Whether mount data fits in one page (the kernel's limit for mount(2) options)."""
    return len(options.encode()) <= _PAGE_LIMIT


def mount(source: str, target: Path, fstype: str, flags: int = 0, data: str = "") -> None:
    rc = _libc().mount(
        source.encode(),
        os.fsencode(target),
        fstype.encode(),
        ctypes.c_ulong(flags),
        data.encode() if data else None,
    )
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {fstype} on {target}: {os.strerror(err)}")


def mount_in_dir(cwd: Path, source: str, target: Path, fstype: str, data: str) -> None:
    """mount(2) run from ``cwd`` so ``data`` can use short relative paths (deep layer stacks).

    chdir is process-wide, so a forked child does it; the parent waits for its verdict.
    """
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 0
        try:
            os.chdir(cwd)
            mount(source, target, fstype, 0, data)
        except OSError as exc:
            code = exc.errno or 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise OSError(code, f"mount {fstype} on {target}: {os.strerror(code)}")


def syncfs(path: Path) -> None:
    """Flush the filesystem holding ``path`` (cheaper than sync(2): one filesystem only)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc().syncfs(ctypes.c_int(fd)) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"syncfs {path}: {os.strerror(err)}")
    finally:
        os.close(fd)


def unmount(target: Path) -> None:
    """Unmount ``target``; a busy mount is detached lazily. Not mounted is not an error, and
    a symlink at ``target`` is never followed."""
    for flags in (UMOUNT_NOFOLLOW, UMOUNT_NOFOLLOW | MNT_DETACH):
        if _libc().umount2(os.fsencode(target), ctypes.c_int(flags)) == 0:
            return
        err = ctypes.get_errno()
        if err in (errno.EINVAL, errno.ENOENT):
            return
        if err != errno.EBUSY:
            raise OSError(err, f"umount {target}: {os.strerror(err)}")
    raise OSError(errno.EBUSY, f"umount {target}: {os.strerror(errno.EBUSY)}")


def is_mountpoint(path: Path) -> bool:
    """True when ``path`` is listed as a mount point in this mount namespace."""
    wanted = os.fsencode(os.path.realpath(path))
    return any(point == wanted for point in _mount_points())


def mount_points_under(path: Path) -> list[Path]:
    """The mount points at or below ``path`` (its real path), deepest first; a point mounted
    over several times is listed as often."""
    top = os.fsencode(os.path.realpath(path))
    found = [p for p in _mount_points() if p == top or p.startswith(top.rstrip(b"/") + b"/")]
    found.sort(key=lambda p: p.count(b"/"), reverse=True)
    return [Path(os.fsdecode(p)) for p in found]


def remove_tree(path: Path) -> None:
    """Delete ``path`` and all below it: whatever is mounted there is unmounted first (deepest
    first), so the deletion never reaches into another filesystem's files; symlinks are removed,
    never followed (``path`` itself included). Missing is not an error; OSError(EBUSY) when a
    mount stays."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(path)
        return
    for point in mount_points_under(path):
        unmount(point)
    if mount_points_under(path):
        raise OSError(errno.EBUSY, f"{path}: a mount below it stays", str(path))
    if not shutil.rmtree.avoids_symlink_attacks:  # pragma: no cover - Linux always has it
        raise OSError(errno.ENOTSUP, "no symlink-safe rmtree on this platform", str(path))
    shutil.rmtree(path)


def _mount_points() -> Iterator[bytes]:
    with open("/proc/self/mountinfo", "rb") as f:
        for line in f:
            fields = line.split(b" ", 5)
            if len(fields) > 4:
                yield _unescape(fields[4])


def _unescape(field: bytes) -> bytes:
    if b"\\" not in field:  # the common case: nothing escaped (no byte-by-byte walk)
        return field
    out = bytearray()
    i = 0
    while i < len(field):
        if field[i : i + 1] == b"\\" and i + 3 < len(field):
            out.append(int(field[i + 1 : i + 4], 8))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return bytes(out)
