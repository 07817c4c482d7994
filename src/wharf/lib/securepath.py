"""Open and resolve paths inside a root directory without ever leaving it.

Every path handed to these functions is interpreted as if ``root`` were ``/``: ``..`` at the root
stays at the root, absolute symlinks are re-anchored at the root, and chains of symlinks are
followed the same way (this is ``chroot`` semantics, as openat2's ``RESOLVE_IN_ROOT``).

The kernel does the resolution when openat2(2) exists (Linux >= 5.6); otherwise a pure-Python
walk expands one component at a time with ``O_NOFOLLOW`` and ``dir_fd``-relative opens, so a
symlink swapped in after a check is never followed out of the root.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import platform
import stat
from functools import cache
from pathlib import Path, PurePosixPath

__all__ = [
    "MAX_SYMLINKS",
    "RESOLVE_IN_ROOT",
    "RESOLVE_NO_MAGICLINKS",
    "PathEscapeError",
    "clean_path",
    "makedirs_in_root",
    "open_in_root",
    "read_file_in_root",
    "resolve_in_root",
]

RESOLVE_NO_XDEV = 0x01
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_NO_SYMLINKS = 0x04
RESOLVE_BENEATH = 0x08
RESOLVE_IN_ROOT = 0x10

MAX_SYMLINKS = 40  # Linux's MAXSYMLINKS

_SYS_OPENAT2 = {"x86_64": 437, "aarch64": 437, "armv7l": 437, "ppc64le": 437, "s390x": 437}


class PathEscapeError(OSError):
    """A path could not be resolved inside its root (raised only by the fallback walk)."""


class _OpenHow(ctypes.Structure):
    _fields_ = [
        ("flags", ctypes.c_uint64),
        ("mode", ctypes.c_uint64),
        ("resolve", ctypes.c_uint64),
    ]


@cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


@cache
def _openat2_available() -> bool:
    if platform.machine() not in _SYS_OPENAT2:
        return False
    try:
        fd = _openat2(-100, "/", os.O_PATH | os.O_CLOEXEC, 0, RESOLVE_NO_MAGICLINKS)
    except OSError:
        return False
    os.close(fd)
    return True


def _openat2(dir_fd: int, path: str, flags: int, mode: int, resolve: int) -> int:
    creates = bool(flags & os.O_CREAT) or (flags & os.O_TMPFILE) == os.O_TMPFILE
    how = _OpenHow(flags, mode if creates else 0, resolve)
    number = _SYS_OPENAT2[platform.machine()]
    libc = _libc()
    for _ in range(64):  # EAGAIN/EINTR are transient (rename races under RESOLVE_IN_ROOT)
        fd = int(
            libc.syscall(
                ctypes.c_long(number),
                ctypes.c_int(dir_fd),
                ctypes.c_char_p(os.fsencode(path)),
                ctypes.byref(how),
                ctypes.c_size_t(ctypes.sizeof(how)),
            )
        )
        if fd >= 0:
            return fd
        err = ctypes.get_errno()
        if err not in (errno.EAGAIN, errno.EINTR):
            raise OSError(err, os.strerror(err), path)
    raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN), path)


def clean_path(path: str) -> str:
    """``path`` made relative to the root, with ``.``/``..`` resolved lexically ("" = root)."""
    parts: list[str] = []
    for part in PurePosixPath("/" + path).parts[1:]:
        if part == "..":
            if parts:
                parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts)


def open_in_root(root: Path, path: str, flags: int, mode: int = 0o644) -> int:
    """Open ``path`` resolved inside ``root``; returns a file descriptor (close-on-exec).

    ``O_NOFOLLOW`` in ``flags`` applies to the last component only, as with open(2).
    """
    flags |= os.O_CLOEXEC
    root_fd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        if _openat2_available():
            return _openat2(
                root_fd, path or ".", flags, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS
            )
        return _walk_open(root_fd, path, flags, mode)
    finally:
        os.close(root_fd)


def read_file_in_root(root: Path, path: str, limit: int) -> bytes:
    """Read at most ``limit`` bytes of the regular file at ``path`` inside ``root``.

    Raises ``OSError(EFBIG)`` when the file is larger than ``limit``, ``OSError(EINVAL)`` when it
    is not a regular file (a FIFO or device would block or never end).
    """
    fd = open_in_root(root, path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(65536, limit + 1 - total))
            if not chunk:
                return b"".join(chunks)
            total += len(chunk)
            if total > limit:
                raise OSError(errno.EFBIG, f"file larger than {limit} bytes", path)
            chunks.append(chunk)
    finally:
        os.close(fd)


def resolve_in_root(root: Path, path: str) -> Path:
    """The host path that ``path`` names inside ``root``, with every symlink expanded in the root.

    Components that do not exist yet are appended lexically (so the result suits ``mkdir -p``).
    The answer is only as good as the moment it was computed: to act on it safely, open it again
    with :func:`open_in_root` or use :func:`makedirs_in_root`.
    """
    resolved: list[str] = []
    pending = clean_path(path).split("/") if clean_path(path) else []
    pending.reverse()
    links = 0
    while pending:
        part = pending.pop()
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        if part in (".", ""):
            continue
        candidate = root.joinpath(*resolved, part)
        try:
            st = os.lstat(candidate)
        except FileNotFoundError:
            resolved.append(part)
            continue
        if not stat.S_ISLNK(st.st_mode):
            resolved.append(part)
            continue
        links += 1
        if links > MAX_SYMLINKS:
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
        target = os.readlink(candidate)
        if target.startswith("/"):
            resolved = []
        pending.extend(reversed(target.split("/")))
    return root.joinpath(*resolved)


def makedirs_in_root(root: Path, path: str, mode: int = 0o755) -> int:
    """``mkdir -p`` of ``path`` inside ``root``; returns an ``O_PATH`` fd of the directory.

    Symlinks in ``path`` are expanded inside the root first (a dangling ``/data -> /srv/x``
    creates ``<root>/srv/x``); each missing component is then created relative to its parent's
    fd, and every open resolves inside the root, so a symlink swapped in meanwhile can only
    redirect creation to another place inside the root.
    """
    with contextlib.suppress(FileNotFoundError):  # it exists already: the one open it takes
        return open_in_root(root, path, os.O_PATH | os.O_DIRECTORY)
    target = resolve_in_root(root, path).relative_to(root).as_posix()
    parts = [] if target == "." else target.split("/")
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        try:
            os.close(open_in_root(root, prefix, os.O_PATH | os.O_DIRECTORY))
        except FileNotFoundError:
            with contextlib.suppress(FileExistsError):
                _mkdir_in(root, "/".join(parts[: depth - 1]), parts[depth - 1], mode)
    return open_in_root(root, target, os.O_PATH | os.O_DIRECTORY)


def _mkdir_in(root: Path, parent: str, name: str, mode: int) -> None:
    fd = open_in_root(root, parent, os.O_PATH | os.O_DIRECTORY)
    try:
        os.mkdir(name, mode, dir_fd=fd)
    finally:
        os.close(fd)


# ---- pure-Python fallback (no openat2) -------------------------------------------------------


def _walk_open(root_fd: int, path: str, flags: int, mode: int) -> int:
    """Resolve ``path`` under ``root_fd`` one component at a time (chroot semantics)."""
    stack: list[int] = []  # fds of the directories walked so far, root excluded
    pending = list(reversed([p for p in path.split("/") if p not in ("", ".")]))
    nofollow_last = bool(flags & os.O_NOFOLLOW)
    links = 0
    try:
        while pending:
            part = pending.pop()
            if part == "..":
                if stack:
                    os.close(stack.pop())
                continue
            cur = stack[-1] if stack else root_fd
            is_last = not pending
            try:
                st = os.stat(part, dir_fd=cur, follow_symlinks=False)
            except FileNotFoundError:
                if is_last and flags & os.O_CREAT:
                    return os.open(part, flags | os.O_NOFOLLOW, mode, dir_fd=cur)
                raise
            if stat.S_ISLNK(st.st_mode) and not (is_last and nofollow_last):
                links += 1
                if links > MAX_SYMLINKS:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
                target = os.readlink(part, dir_fd=cur)
                if target.startswith("/"):
                    while stack:
                        os.close(stack.pop())
                pending.extend(reversed([p for p in target.split("/") if p not in ("", ".")]))
                continue
            if is_last:
                return os.open(part, flags | os.O_NOFOLLOW, mode, dir_fd=cur)
            stack.append(os.open(part, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=cur))
        return os.open(".", flags, mode, dir_fd=stack[-1] if stack else root_fd)
    finally:
        for fd in stack:
            os.close(fd)
