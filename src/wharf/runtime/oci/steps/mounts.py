"""Mount steps, done while the rootfs is still a host path (before pivot_root)."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from wharf.lib.securepath import makedirs_in_root, open_in_root, resolve_in_root
from wharf.runtime.oci import syscalls as sc
from wharf.runtime.oci.config import Mount
from wharf.runtime.oci.errors import RuntimeCreateError
from wharf.runtime.oci.mountopts import PROPAGATION_OPTIONS, MountOptions, parse_mount_options
from wharf.runtime.oci.steps.context import InitContext


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


def inside(ctx: InitContext, target: Path) -> str:
    """``target`` (a path under the root) relative to the root, as securepath wants it."""
    relative = target.relative_to(ctx.root).as_posix()
    return "" if relative == "." else relative


def fd_path(fd: int) -> str:
    """The path that reaches what ``fd`` is open on (mount(2) and mknod(2) take paths)."""
    return f"/proc/self/fd/{fd}"


@contextlib.contextmanager
def held(fd: int) -> Iterator[int]:
    """``fd`` for the block; closed after."""
    try:
        yield fd
    finally:
        os.close(fd)


def open_target(ctx: InitContext, relative: str) -> contextlib.AbstractContextManager[int]:
    """What is at ``relative`` inside the root now (opened with RESOLVE_IN_ROOT): the top
    mount there, for a change after a mount."""
    return held(open_in_root(ctx.root, relative, os.O_PATH))


def dir_target(ctx: InitContext, relative: str) -> contextlib.AbstractContextManager[int]:
    """Create the directory ``relative`` inside the root and hold it open: the mount goes
    onto the fd, never onto a path that could be resolved again."""
    return held(makedirs_in_root(ctx.root, relative))


def file_target(ctx: InitContext, relative: str) -> contextlib.AbstractContextManager[int]:
    """An empty file to bind a file onto, created inside the root (kept if it exists), held
    open as for ``dir_target``."""
    os.close(makedirs_in_root(ctx.root, relative.rpartition("/")[0]))
    try:
        return held(open_in_root(ctx.root, relative, os.O_PATH))
    except FileNotFoundError:
        pass
    with contextlib.suppress(FileExistsError):
        os.close(open_in_root(ctx.root, relative,
                              os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o755))
    return held(open_in_root(ctx.root, relative, os.O_PATH))


def set_recursive_attributes(ctx: InitContext, fd: int, options: MountOptions) -> None:
    """``rro``, ``rnosuid``...: mount_setattr(AT_RECURSIVE) on the mount at ``fd`` and every
    mount below it; refused clearly on a kernel without it (before 5.12)."""
    if not options.recursive:
        return
    try:
        ctx.sys.mount_setattr(fd, True, options.recursive.set, options.recursive.clear)
    except OSError as exc:
        if exc.errno != errno.ENOSYS:
            raise
        raise RuntimeCreateError("recursive mount options (rro, rnosuid...) need "
                                 "mount_setattr(2), Linux 5.12 or later") from exc


def _set_bind_attributes(ctx: InitContext, tree: int, options: MountOptions) -> bool:
    """The bind's own flags on the detached copy; False when mount_setattr is missing."""
    attributes = options.bind_attributes()
    if not attributes:
        return True
    try:
        ctx.sys.mount_setattr(tree, False, attributes.set, attributes.clear)
    except OSError as exc:
        if exc.errno != errno.ENOSYS:
            raise
        return False
    return True


def bind_onto(ctx: InitContext, source: str, target: int, options: MountOptions,
              recursive: bool) -> None:
    """Bind ``source`` onto the fd ``target``: a detached copy of the source's mounts
    (open_tree) gets its attributes first, then is attached (move_mount), then its
    propagation is set through the copy's own fd; no path is resolved after the target was
    opened."""
    with held(ctx.sys.open_tree(source, recursive)) as tree:
        remount = not _set_bind_attributes(ctx, tree, options)
        set_recursive_attributes(ctx, tree, options)
        ctx.sys.move_mount(tree, target)
        if remount:  # a kernel before 5.12: the classic remount, on the attached copy's fd
            flags = options.flags & ~(sc.MS_BIND | sc.MS_REC)
            ctx.sys.mount(None, fd_path(tree), None, sc.MS_BIND | sc.MS_REMOUNT | flags, None)
        for propagation in options.propagation:
            ctx.sys.mount(None, fd_path(tree), None, propagation, None)


def _mount_bind(ctx: InitContext, mount: Mount, relative: str, options: MountOptions) -> None:
    source = mount.source
    target = dir_target(ctx, relative) if os.path.isdir(source) else file_target(ctx, relative)
    with target as fd:
        bind_onto(ctx, source, fd, options, recursive=bool(options.flags & sc.MS_REC))


def _mount_cgroup(ctx: InitContext, relative: str, options: MountOptions) -> None:
    """v1: a tmpfs with the container's cgroup of each hierarchy bind-mounted in it;
    v2: cgroup2 itself when the container has a cgroup namespace, else its directory."""
    if ctx.cgroup_version == 2:
        _mount_cgroup_v2(ctx, relative, options)
        return
    with dir_target(ctx, relative) as fd:
        ctx.sys.mount("tmpfs", fd_path(fd), "tmpfs", options.flags & ~sc.MS_RDONLY, "mode=755")
    bind = MountOptions(flags=options.flags | sc.MS_BIND, propagation=(), data="")
    # the tmpfs is new and only this mount namespace sees it: its directories are made and
    # opened relative to it, without walking the path from the root once per hierarchy
    with held(open_in_root(ctx.root, relative, os.O_DIRECTORY | os.O_RDONLY)) as tmpfs:
        for cgroup in ctx.cgroup_mounts:
            with held(_subdirectory(tmpfs, cgroup.name)) as fd:
                bind_onto(ctx, str(cgroup.host_dir), fd, bind, recursive=False)
    if options.flags & sc.MS_RDONLY:
        with open_target(ctx, relative) as fd:
            ctx.sys.mount(None, fd_path(fd), None, sc.MS_REMOUNT | options.flags, "mode=755")


def _subdirectory(parent: int, name: str) -> int:
    """``parent/name`` made if missing, opened ``O_PATH`` without following a symlink."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(name, 0o755, dir_fd=parent)
    return os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                   dir_fd=parent)


def _mount_cgroup_v2(ctx: InitContext, relative: str, options: MountOptions) -> None:
    with dir_target(ctx, relative) as fd:
        if ctx.config.namespace("cgroup") is not None:
            ctx.sys.mount("cgroup2", fd_path(fd), "cgroup2", options.flags, None)
            return
        bind = MountOptions(flags=options.flags | sc.MS_BIND, propagation=(), data="")
        for cgroup in ctx.cgroup_mounts:
            bind_onto(ctx, str(cgroup.host_dir), fd, bind, recursive=False)


def _mount_filesystem(ctx: InitContext, mount: Mount, relative: str,
                      options: MountOptions) -> None:
    with dir_target(ctx, relative) as fd:
        try:
            ctx.sys.mount(mount.source or mount.type, fd_path(fd), mount.type, options.flags,
                          options.data or None)
        except OSError as exc:
            if mount.type != "sysfs" or exc.errno != errno.EPERM:
                raise
            # sysfs cannot be mounted while sharing the host's network namespace: bind it
            bind = MountOptions(flags=options.flags | sc.MS_BIND, propagation=(), data="")
            bind_onto(ctx, "/sys", fd, bind, recursive=True)
    if options.recursive or options.propagation:  # on the new mount: found in the root again
        with open_target(ctx, relative) as fd:
            set_recursive_attributes(ctx, fd, options)
            for propagation in options.propagation:
                ctx.sys.mount(None, fd_path(fd), None, propagation, None)


def mount_one(ctx: InitContext, mount: Mount) -> None:
    """Mount ``mount`` in the root: the target is created and opened inside the root and the
    mount made onto that fd, so a symlink raced into the path (CVE-2021-30465 class) can only
    lead somewhere inside the root."""
    relative = inside(ctx, resolve_in_root(ctx.root, mount.destination))
    options = parse_mount_options(mount.options)
    try:
        if mount.type == "bind" or options.is_bind:
            _mount_bind(ctx, mount, relative, options)
        elif mount.type == "cgroup":
            _mount_cgroup(ctx, relative, options)
        else:
            _mount_filesystem(ctx, mount, relative, options)
    except OSError as exc:
        raise RuntimeCreateError(
            f'error mounting "{mount.source or mount.type}" to rootfs at '
            f'"{mount.destination}": {exc.strerror or exc}') from exc


def mount_all(ctx: InitContext) -> None:
    for mount in ctx.config.mounts:
        mount_one(ctx, mount)
