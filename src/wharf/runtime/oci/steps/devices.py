"""Device nodes and the standard /dev symlinks."""

from __future__ import annotations

import contextlib
import os
import stat

from wharf.lib.securepath import resolve_in_root
from wharf.runtime.oci.config import Device
from wharf.runtime.oci.errors import RuntimeCreateError
from wharf.runtime.oci.steps.context import InitContext
from wharf.runtime.oci.steps.mounts import make_dir_target

DEFAULT_DEVICES = (
    Device("/dev/null", "c", 1, 3), Device("/dev/zero", "c", 1, 5),
    Device("/dev/full", "c", 1, 7), Device("/dev/random", "c", 1, 8),
    Device("/dev/urandom", "c", 1, 9), Device("/dev/tty", "c", 5, 0),
)
DEV_SYMLINKS = (
    ("/proc/self/fd", "/dev/fd"), ("/proc/self/fd/0", "/dev/stdin"),
    ("/proc/self/fd/1", "/dev/stdout"), ("/proc/self/fd/2", "/dev/stderr"),
)
DEVICE_TYPES = {"c": stat.S_IFCHR, "u": stat.S_IFCHR, "b": stat.S_IFBLK, "p": stat.S_IFIFO}


def dev_is_mounted(ctx: InitContext) -> bool:
    return any(m.destination.rstrip("/") == "/dev" for m in ctx.config.mounts)


def make_device(ctx: InitContext, device: Device) -> None:
    target = resolve_in_root(ctx.root, device.path)
    if os.path.lexists(target):
        return
    make_dir_target(ctx, target.parent)
    kind = DEVICE_TYPES.get(device.type)
    if kind is None:
        raise RuntimeCreateError(f"{device.type} is not a valid device type for {device.path}")
    try:
        ctx.sys.mknod(str(target), kind | (device.file_mode & 0o7777),
                      os.makedev(device.major, device.minor))
    except OSError as exc:
        raise RuntimeCreateError(f"mknod {device.path}: {exc.strerror}") from exc
    with contextlib.suppress(FileNotFoundError):  # the fake mknod makes nothing
        os.chown(target, device.uid, device.gid)
        os.chmod(target, device.file_mode & 0o7777)


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
    for target, link in links:
        path = resolve_in_root(ctx.root, link)
        if not os.path.lexists(path):
            os.symlink(target, path)
