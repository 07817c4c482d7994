"""Steps that shape the process itself: console, limits, credentials, seccomp, exec."""

from __future__ import annotations

import os
import resource
import termios

from wharf.lib.securepath import resolve_in_root
from wharf.runtime.oci import console
from wharf.runtime.oci import syscalls as sc
from wharf.runtime.oci.caps import cap_mask
from wharf.runtime.oci.errors import RuntimeCreateError
from wharf.runtime.oci.lookpath import look_path
from wharf.runtime.oci.steps.context import InitContext


def setup_console(ctx: InitContext, bind_console: bool = True) -> None:
    """With ``process.terminal``: a PTY from the container's devpts, the slave as stdio and
    controlling terminal (bound over /dev/console for init), the master to the socket."""
    if not ctx.process.terminal or ctx.console_fd is None:
        return
    pty = console.open_pty(str(resolve_in_root(ctx.root, "/dev/pts/ptmx")))
    try:
        if ctx.clear_onlcr:  # before the process can write a byte: no race with the reader
            console.clear_onlcr(pty.master)
        if ctx.process.console_size is not None:  # the size it starts with (runc's too)
            termios.tcsetwinsize(pty.master, ctx.process.console_size)
        if bind_console:
            dev_console = resolve_in_root(ctx.root, "/dev/console")
            if not dev_console.exists():
                dev_console.touch(mode=0o600)
            ctx.sys.mount(pty.slave_path, str(dev_console), "bind", sc.MS_BIND, None)
        console.make_controlling_terminal(pty.slave_path)
        console.send_fd(ctx.console_fd, pty.master, "/dev/ptmx")
    finally:
        os.close(pty.master)
        os.close(ctx.console_fd)
        ctx.console_fd = None


def setup_exec_console(ctx: InitContext) -> None:
    setup_console(ctx, bind_console=False)


def set_rlimits(ctx: InitContext) -> None:
    for limit in ctx.process.rlimits:
        number = getattr(resource, limit.type, None)
        if not isinstance(number, int):
            raise RuntimeCreateError(f"unknown rlimit {limit.type}")
        ctx.sys.setrlimit(number, limit.soft, limit.hard)


def set_no_new_privs(ctx: InitContext) -> None:
    if ctx.process.no_new_privileges:
        ctx.sys.set_no_new_privs()


def load_seccomp_early(ctx: InitContext) -> None:
    """Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we have it."""
    if ctx.seccomp_program is not None and not ctx.process.no_new_privileges:
        ctx.sys.seccomp_load(ctx.seccomp_program)


def load_seccomp_late(ctx: InitContext) -> None:
    """With no_new_privs, the filter goes on last, right before execve."""
    if ctx.seccomp_program is not None and ctx.process.no_new_privileges:
        ctx.sys.seccomp_load(ctx.seccomp_program)


LAST_FD = 0xFFFFFFFF


def _gaps(first: int, keep: list[int]) -> list[tuple[int, int]]:
    """The ranges from ``first`` up that hold none of ``keep`` (sorted)."""
    ranges: list[tuple[int, int]] = []
    start = first
    for fd in keep:
        if fd > start:
            ranges.append((start, fd - 1))
        start = max(start, fd + 1)
    ranges.append((start, LAST_FD))
    return ranges


def close_fds(ctx: InitContext) -> None:
    """Close every fd but stdio, the preserved ones (3 .. 3+N-1, made inheritable) and the
    runtime's own (sync socket, exec fifo: close-on-exec): closed now, not only marked
    close-on-exec, so no host fd is reachable through /proc/self/fd while the cwd is entered
    (CVE-2024-21626); and before seccomp, which may forbid close_range."""
    first_closed = 3 + ctx.preserve_fds
    own = [fd for fd in (ctx.sync.fd, ctx.fifo_fd, ctx.console_fd) if fd is not None]
    for low, high in _gaps(first_closed, sorted(fd for fd in own if fd >= first_closed)):
        ctx.sys.close_range(low, high)
    for fd in own:
        os.set_inheritable(fd, False)
    for fd in range(3, first_closed):
        try:
            os.set_inheritable(fd, True)
        except OSError as exc:
            raise RuntimeCreateError(f"preserved fd {fd} is not open") from exc


def drop_bounding_set(ctx: InitContext) -> None:
    bounding = cap_mask(ctx.process.capabilities.bounding, ctx.last_cap)
    for cap in range(ctx.last_cap + 1):
        if not bounding & (1 << cap):
            ctx.sys.capbset_drop(cap)


def switch_user(ctx: InitContext) -> None:
    process = ctx.process
    try:
        ctx.sys.setgroups(list(process.additional_gids))
        ctx.sys.set_keepcaps(True)
        ctx.sys.setresgid(process.gid)
        ctx.sys.setresuid(process.uid)
        ctx.sys.set_keepcaps(False)
    except OSError as exc:
        raise RuntimeCreateError(f"setting user {process.uid}:{process.gid}: "
                                 f"{exc.strerror or exc}") from exc


def set_capabilities(ctx: InitContext) -> None:
    caps = ctx.process.capabilities
    ctx.sys.capset(cap_mask(caps.effective, ctx.last_cap),
                   cap_mask(caps.permitted, ctx.last_cap),
                   cap_mask(caps.inheritable, ctx.last_cap))
    ambient = cap_mask(caps.ambient, ctx.last_cap)
    for cap in range(ctx.last_cap + 1):
        if ambient & (1 << cap):
            ctx.sys.cap_ambient_raise(cap)


def change_cwd(ctx: InitContext) -> None:
    """Enter ``process.cwd``, resolved by the kernel in the container's root (after
    pivot_root, or the joined mount namespace's root for exec), then check the kernel agrees
    it is inside: a magic link (``/proc/self/fd/N``) to a directory outside would leave us
    out of the root (CVE-2024-21626). Every host fd is closed by now, so none is reachable;
    the check catches a preserved one. Plain chdir and getcwd: after seccomp, only calls every
    profile allows (runc's way)."""
    try:
        ctx.sys.chdir(ctx.process.cwd)
    except OSError as exc:
        raise RuntimeCreateError(f"chdir to cwd (\"{ctx.process.cwd}\") set in config.json "
                                 f"failed: {exc.strerror}") from exc
    try:
        os.getcwd()  # glibc fails with ENOENT for a cwd not reachable from our root
    except OSError as exc:
        raise RuntimeCreateError("current working directory is outside of container mount "
                                 "namespace root -- possible container breakout "
                                 "detected") from exc


def set_umask(ctx: InitContext) -> None:
    ctx.sys.umask(0o022 if ctx.process.umask is None else int(ctx.process.umask))


def lookup_executable(ctx: InitContext) -> None:
    ctx.executable = look_path(ctx.process.args[0], ctx.process.path_env())


def report_created(ctx: InitContext) -> None:
    ctx.sync.send({"type": "created"})
    ctx.reported = True


def wait_for_start(ctx: InitContext) -> None:
    """Block until ``start`` opens the exec fifo for reading (runc's protocol)."""
    if ctx.fifo_fd is None:
        return
    fifo = os.open(f"{ctx.proc}/self/fd/{ctx.fifo_fd}", os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fifo, b"0")
    finally:
        os.close(fifo)
        os.close(ctx.fifo_fd)
        ctx.fifo_fd = None


def exec_process(ctx: InitContext) -> None:
    ctx.sys.execve(ctx.executable, list(ctx.process.args), list(ctx.process.env))
