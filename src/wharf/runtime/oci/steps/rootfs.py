"""pivot_root and the steps that work on paths inside the new root."""

from __future__ import annotations

import os
from pathlib import Path

from wharf.lib.securepath import resolve_in_root
from wharf.runtime.oci import syscalls as sc
from wharf.runtime.oci.errors import RuntimeCreateError
from wharf.runtime.oci.mountopts import PROPAGATION_OPTIONS
from wharf.runtime.oci.steps.context import InitContext

# statvfs f_flag bits equal the MS_ bits for these; a bind remount must keep them
LOCKED_FLAGS = sc.MS_NOSUID | sc.MS_NODEV | sc.MS_NOEXEC | sc.MS_RDONLY


def _current_flags(path: Path) -> int:
    try:
        return os.statvfs(path).f_flag & LOCKED_FLAGS
    except OSError:
        return 0


def pivot_root(ctx: InitContext) -> None:
    """Switch to the container's root: pivot_root(".", ".") then detach the old root
    (runc's trick, no temporary directory needed); ``--no-pivot`` moves + chroots."""
    rootfs = str(ctx.config.rootfs)
    try:
        if ctx.no_pivot:
            ctx.sys.chdir(rootfs)
            ctx.sys.mount(rootfs, "/", None, sc.MS_MOVE, None)
            ctx.sys.chroot(".")
        else:
            old_root = os.open("/", os.O_DIRECTORY | os.O_RDONLY | os.O_CLOEXEC)
            try:
                ctx.sys.chdir(rootfs)
                ctx.sys.pivot_root(".", ".")
                ctx.sys.fchdir(old_root)
                ctx.sys.mount(None, ".", None, sc.MS_SLAVE | sc.MS_REC, None)
                ctx.sys.umount2(".", sc.MNT_DETACH)
            finally:
                os.close(old_root)
        ctx.sys.chdir("/")
    except OSError as exc:
        raise RuntimeCreateError(f"pivot_root {rootfs}: {exc.strerror or exc}") from exc
    ctx.root = Path("/")


def set_final_propagation(ctx: InitContext) -> None:
    flags = PROPAGATION_OPTIONS.get(ctx.config.rootfs_propagation, 0)
    if flags & (sc.MS_SHARED | sc.MS_UNBINDABLE):
        ctx.sys.mount(None, "/", None, flags, None)


def apply_sysctl(ctx: InitContext) -> None:
    for key, value in ctx.config.sysctl.items():
        path = ctx.proc / "sys" / key.replace(".", "/")
        try:
            path.write_text(value)
        except OSError as exc:
            raise RuntimeCreateError(f"write sysctl key {key}: {exc.strerror}") from exc


def readonly_paths(ctx: InitContext) -> None:
    """Bind each path onto itself and remount it read-only."""
    for container_path in ctx.config.readonly_paths:
        path = resolve_in_root(ctx.root, container_path)
        if not os.path.lexists(path):
            continue
        ctx.sys.mount(str(path), str(path), None, sc.MS_BIND | sc.MS_REC, None)
        flags = sc.MS_BIND | sc.MS_REMOUNT | sc.MS_RDONLY | sc.MS_REC | _current_flags(path)
        ctx.sys.mount(str(path), str(path), None, flags, None)


def masked_paths(ctx: InitContext) -> None:
    """/dev/null over files, an empty read-only tmpfs over directories."""
    null = str(resolve_in_root(ctx.root, "/dev/null"))
    for container_path in ctx.config.masked_paths:
        path = resolve_in_root(ctx.root, container_path)
        if not os.path.lexists(path):
            continue
        if path.is_dir():
            ctx.sys.mount("tmpfs", str(path), "tmpfs", sc.MS_RDONLY, None)
        else:
            ctx.sys.mount(null, str(path), None, sc.MS_BIND, None)


def readonly_root(ctx: InitContext) -> None:
    if ctx.config.root_readonly:
        flags = sc.MS_BIND | sc.MS_REMOUNT | sc.MS_RDONLY | _current_flags(ctx.root)
        ctx.sys.mount(None, str(ctx.root), None, flags, None)


def set_hostname(ctx: InitContext) -> None:
    if ctx.config.hostname:
        ctx.sys.sethostname(ctx.config.hostname)
    if ctx.config.domainname:
        ctx.sys.setdomainname(ctx.config.domainname)
