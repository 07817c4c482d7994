"""Mount steps, done while the rootfs is still a host path (before pivot_root)."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from wharf.lib.securepath import makedirs_in_root, open_in_root, resolve_in_root
from wharf.runtime.oci import syscalls as sc
from wharf.runtime.oci.config import Mount
from wharf.runtime.oci.errors import RuntimeCreateError
from wharf.runtime.oci.mountopts import PROPAGATION_OPTIONS, MountOptions, parse_mount_options
from wharf.runtime.oci.steps.context import InitContext

BIND_FLAGS_KEPT = sc.MS_BIND | sc.MS_REC


def set_root_propagation(ctx: InitContext) -> None:
    """Stop mounts made for the container from propagating to the host (rslave by default)."""
    flags = PROPAGATION_OPTIONS.get(ctx.config.rootfs_propagation, sc.MS_SLAVE | sc.MS_REC)
    if flags & (sc.MS_SHARED | sc.MS_UNBINDABLE):
        flags = sc.MS_PRIVATE | sc.MS_REC  # the host side; the wanted mode is set after pivot
    ctx.sys.mount(None, "/", None, flags, None)


def bind_rootfs(ctx: InitContext) -> None:
    """Make the rootfs a mount point of its own (pivot_root needs one)."""
    rootfs = str(ctx.config.rootfs)
    ctx.sys.mount(rootfs, rootfs, "bind", sc.MS_BIND | sc.MS_REC, None)
    ctx.root = ctx.config.rootfs


def _inside(ctx: InitContext, target: Path) -> str:
    """``target`` (a path under the root) relative to the root, as securepath wants it."""
    relative = target.relative_to(ctx.root).as_posix()
    return "" if relative == "." else relative


def make_dir_target(ctx: InitContext, target: Path) -> None:
    """``mkdir -p`` inside the root: every component is opened in the root (openat2
    RESOLVE_IN_ROOT), so a symlink swapped in meanwhile cannot lead out of it."""
    os.close(makedirs_in_root(ctx.root, _inside(ctx, target)))


def make_file_target(ctx: InitContext, target: Path) -> None:
    """An empty file to bind a file onto, created inside the root (kept if it exists)."""
    relative = _inside(ctx, target)
    os.close(makedirs_in_root(ctx.root, relative.rpartition("/")[0]))
    try:
        os.close(open_in_root(ctx.root, relative, os.O_PATH | os.O_NOFOLLOW))
        return
    except FileNotFoundError:
        pass
    with contextlib.suppress(FileExistsError):
        os.close(open_in_root(ctx.root, relative,
                              os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o755))


def _remount_flags(options: MountOptions) -> int:
    return options.flags & ~BIND_FLAGS_KEPT


def _mount_bind(ctx: InitContext, mount: Mount, target: Path, options: MountOptions) -> None:
    source = mount.source
    if os.path.isdir(source):
        make_dir_target(ctx, target)
    else:
        make_file_target(ctx, target)
    ctx.sys.mount(source, str(target), "bind", sc.MS_BIND | (options.flags & sc.MS_REC), None)
    if _remount_flags(options):
        ctx.sys.mount(source, str(target), None,
                      sc.MS_BIND | sc.MS_REMOUNT | _remount_flags(options), None)


def _mount_cgroup(ctx: InitContext, mount: Mount, target: Path, options: MountOptions) -> None:
    """v1: a tmpfs with the container's cgroup of each hierarchy bind-mounted in it;
    v2: cgroup2 itself when the container has a cgroup namespace, else its directory."""
    make_dir_target(ctx, target)
    flags = options.flags & ~sc.MS_RDONLY
    if ctx.cgroup_version == 2:
        if ctx.config.namespace("cgroup") is not None:
            ctx.sys.mount("cgroup2", str(target), "cgroup2", options.flags, None)
            return
        for cgroup in ctx.cgroup_mounts:
            ctx.sys.mount(str(cgroup.host_dir), str(target), "bind", sc.MS_BIND, None)
            ctx.sys.mount(None, str(target), None,
                          sc.MS_BIND | sc.MS_REMOUNT | options.flags, None)
        return
    ctx.sys.mount("tmpfs", str(target), "tmpfs", flags, "mode=755")
    for cgroup in ctx.cgroup_mounts:
        subdir = target / cgroup.name
        subdir.mkdir(exist_ok=True)
        ctx.sys.mount(str(cgroup.host_dir), str(subdir), "bind", sc.MS_BIND, None)
        ctx.sys.mount(None, str(subdir), None, sc.MS_BIND | sc.MS_REMOUNT | options.flags, None)
    if options.flags & sc.MS_RDONLY:
        ctx.sys.mount(None, str(target), None, sc.MS_REMOUNT | options.flags, "mode=755")


def _mount_filesystem(ctx: InitContext, mount: Mount, target: Path,
                      options: MountOptions) -> None:
    make_dir_target(ctx, target)
    try:
        ctx.sys.mount(mount.source or mount.type, str(target), mount.type, options.flags,
                      options.data or None)
    except OSError as exc:
        if mount.type != "sysfs" or exc.errno != errno.EPERM:
            raise
        # sysfs cannot be mounted while sharing the host's network namespace: bind it
        ctx.sys.mount("/sys", str(target), "bind", sc.MS_BIND | sc.MS_REC, None)
        ctx.sys.mount(None, str(target), None,
                      sc.MS_BIND | sc.MS_REMOUNT | options.flags, None)


def mount_one(ctx: InitContext, mount: Mount) -> None:
    target = resolve_in_root(ctx.root, mount.destination)
    options = parse_mount_options(mount.options)
    try:
        if mount.type == "bind" or options.is_bind:
            _mount_bind(ctx, mount, target, options)
        elif mount.type == "cgroup":
            _mount_cgroup(ctx, mount, target, options)
        else:
            _mount_filesystem(ctx, mount, target, options)
        for propagation in options.propagation:
            ctx.sys.mount(None, str(target), None, propagation, None)
    except OSError as exc:
        raise RuntimeCreateError(
            f'error mounting "{mount.source or mount.type}" to rootfs at '
            f'"{mount.destination}": {exc.strerror or exc}') from exc


def mount_all(ctx: InitContext) -> None:
    for mount in ctx.config.mounts:
        mount_one(ctx, mount)
