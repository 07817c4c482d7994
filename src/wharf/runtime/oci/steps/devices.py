"""Device nodes and the standard /dev symlinks."""

from __future__ import annotations

import contextlib
import os
import stat

from wharf.lib.securepath import makedirs_in_root, resolve_in_root
from wharf.runtime.oci import syscalls as sc
from wharf.runtime.oci.config import Device
from wharf.runtime.oci.errors import RuntimeCreateError
from wharf.runtime.oci.mountopts import MountOptions
from wharf.runtime.oci.steps.context import InitContext
from wharf.runtime.oci.steps.mounts import bind_onto, fd_path, held, inside

DEFAULT_DEVICES = (
    Device("/dev/null", "c", 1, 3), Device("/dev/zero", "c", 1, 5),
    Device("/dev/full", "c", 1, 7), Device("/dev/random", "c", 1, 8),
    Device("/dev/urandom", "c", 1, 9), Device("/dev/tty", "c", 5, 0),
)
DEV_SYMLINKS = (
    ("/proc/self/fd", "/dev/fd"), ("/proc/self/fd/0", "/dev/stdin"),
    ("/proc/self/fd/1", "/dev/stdout"), ("/proc/self/fd/2", "/dev/stderr"),
)
BIND = MountOptions(flags=sc.MS_BIND, propagation=(), data="")
DEVICE_TYPES = {"c": stat.S_IFCHR, "u": stat.S_IFCHR, "b": stat.S_IFBLK, "p": stat.S_IFIFO}


def dev_is_mounted(ctx: InitContext) -> bool:
    return any(m.destination.rstrip("/") == "/dev" for m in ctx.config.mounts)


def _parent_in_root(ctx: InitContext, path: str) -> tuple[int, str]:
    """(an O_PATH fd of the parent directory, made and opened inside the root; the name)."""
    relative = inside(ctx, resolve_in_root(ctx.root, path))
    parent, _, name = relative.rpartition("/")
    return makedirs_in_root(ctx.root, parent), name


def _exists_at(parent: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def _set_owner_and_mode(parent: int, name: str, device: Device) -> None:
    """chown/chmod the node just made, through an fd of it (never following a symlink)."""
    try:
        node = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent)
    except FileNotFoundError:  # the recording fake's mknod makes nothing
        return
    with held(node):
        where = fd_path(node)
        if stat.S_ISLNK(os.fstat(node).st_mode):
            raise RuntimeCreateError(f"mknod {device.path}: replaced by a symlink")
        os.chown(where, device.uid, device.gid)
        os.chmod(where, device.file_mode & 0o7777)


def _bind_device(ctx: InitContext, parent: int, name: str, device: Device) -> None:
    """In a user namespace mknod is not allowed: bind the host's node onto an empty file
    (runc's way), made and opened inside the root as for mknod."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW |
                         os.O_CLOEXEC, 0o600, dir_fd=parent))
    node = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent)
    with held(node):
        try:
            bind_onto(ctx, device.path, node, BIND, recursive=False)
        except OSError as exc:
            raise RuntimeCreateError(f"bind mount {device.path}: {exc.strerror}") from exc


def make_device(ctx: InitContext, device: Device) -> None:
    """mknod inside the root: the parent is opened there and the node made relative to that
    fd, so a symlink raced into the path cannot place it (or its mode) outside."""
    kind = DEVICE_TYPES.get(device.type)
    if kind is None:
        raise RuntimeCreateError(f"{device.type} is not a valid device type for {device.path}")
    parent, name = _parent_in_root(ctx, device.path)
    with held(parent):
        if _exists_at(parent, name):
            return
        if ctx.config.namespace("user") is not None:
            _bind_device(ctx, parent, name, device)
            return
        try:
            ctx.sys.mknod(f"{fd_path(parent)}/{name}", kind | (device.file_mode & 0o7777),
                          os.makedev(device.major, device.minor))
        except OSError as exc:
            raise RuntimeCreateError(f"mknod {device.path}: {exc.strerror}") from exc
        _set_owner_and_mode(parent, name, device)


def create_devices(ctx: InitContext) -> None:
    """Docker's default devices when /dev is a fresh tmpfs, then ``linux.devices``."""
    defaults = DEFAULT_DEVICES if dev_is_mounted(ctx) else ()
    for device in (*defaults, *ctx.config.devices):
        make_device(ctx, device)


def create_dev_symlinks(ctx: InitContext) -> None:
    if not dev_is_mounted(ctx):
        return
    links = list(DEV_SYMLINKS)
    if (ctx.proc / "kcore").exists():
        links.append(("/proc/kcore", "/dev/core"))
    links.append(("pts/ptmx", "/dev/ptmx"))
    with held(makedirs_in_root(ctx.root, "dev")) as dev:  # the new tmpfs: every link is in it
        for target, link in links:
            with contextlib.suppress(FileExistsError):
                os.symlink(target, link.removeprefix("/dev/"), dir_fd=dev)
