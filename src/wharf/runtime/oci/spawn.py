"""Fork the container's processes: an intermediate that enters the namespaces, and the
process that runs the steps (PID 1 of a new pid namespace for an init).

    caller ──fork──▶ intermediate: join cgroup, setns/unshare ──fork──▶ child: steps → execve
                     sends {"pid"} and exits; the child is reparented to the caller
                     (a subreaper) and talks to it over the same socketpair.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from wharf.runtime.oci.errors import RuntimeCreateError
from wharf.runtime.oci.steps import InitContext, Step, run_steps
from wharf.runtime.oci.sync import SyncChannel, SyncError

REAP_TIMEOUT = 2.0


def describe(exc: BaseException) -> str:
    """The message sent back for a failure in a forked process: runc's wording for ours,
    "what: strerror" for a failed system call (``LinuxSyscalls`` puts both in args[1])."""
    if isinstance(exc, RuntimeCreateError):
        return exc.message
    if isinstance(exc, OSError) and exc.filename is None and len(exc.args) == 2:
        return str(exc.args[1])
    return str(exc) or type(exc).__name__


@dataclass
class Spawned:
    """A forked container process the parent still talks to."""

    pid: int
    channel: SyncChannel

    def expect(self, wanted: str) -> None:
        """Wait for message ``wanted``; an error message or EOF raises RuntimeCreateError."""
        try:
            message = self.channel.receive()
        except SyncError as exc:
            raise RuntimeCreateError(str(exc)) from exc
        if message is None:
            raise RuntimeCreateError("container init exited before it was ready")
        if message.get("type") == "error":
            raise RuntimeCreateError(str(message.get("message")))
        if message.get("type") != wanted:
            raise RuntimeCreateError(f"unexpected message from container init: {message}")

    def release(self) -> None:
        self.channel.send({"type": "continue"})

    def abort(self) -> None:
        """Kill the child and reap it if it was reparented to us (we are a subreaper)."""
        self.channel.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        deadline = time.monotonic() + REAP_TIMEOUT
        while time.monotonic() < deadline:
            try:
                done, _ = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return
            if done:
                return
            time.sleep(0.005)


def _run_child(ctx: InitContext, steps: tuple[Step, ...]) -> NoReturn:
    try:
        message = ctx.sync.receive()  # after the intermediate's {"pid"}: no interleaving
        if message is None or message.get("type") != "continue":
            os._exit(1)
        run_steps(steps, ctx)
    except BaseException as exc:
        text = describe(exc)
        with contextlib.suppress(BaseException):
            if ctx.reported:
                os.write(2, f"wharf-runtime: {text}\n".encode())
            else:
                ctx.sync.send({"type": "error", "message": text})
    os._exit(127)


def reset_signals() -> None:
    """Forget the caller's signal setup: Python ignores SIGPIPE and SIGXFSZ, a daemon may
    ignore SIGHUP, asyncio routes signals to a wakeup fd; none of it belongs to a container
    (ignored signals survive execve). Unblock everything too."""
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)
    for number in signal.valid_signals():
        if number in (signal.SIGKILL, signal.SIGSTOP):
            continue
        with contextlib.suppress(OSError, ValueError):
            signal.signal(number, signal.SIG_DFL)
    reset_reserved_signals()
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


SYS_RT_SIGACTION = 13  # x86_64
KERNEL_SIGSET_BYTES = 8
RESERVED_SIGNALS = (32, 33)  # glibc keeps these for itself; Python's signal module refuses them


class _KernelSigaction(ctypes.Structure):
    _fields_ = [("handler", ctypes.c_void_p), ("flags", ctypes.c_ulong),
                ("restorer", ctypes.c_void_p), ("mask", ctypes.c_uint64)]


def reset_reserved_signals() -> None:
    """Reset the signals glibc reserves to SIG_DFL with rt_sigaction(2) itself: an ignored
    disposition there (inherited from whatever started the daemon) would survive execve too."""
    libc = ctypes.CDLL(None, use_errno=True)
    default = _KernelSigaction()  # handler NULL == SIG_DFL, no flags, empty mask
    for number in RESERVED_SIGNALS:
        libc.syscall(SYS_RT_SIGACTION, number, ctypes.byref(default), None,
                     KERNEL_SIGSET_BYTES)


def request_id_maps(sync: SyncChannel) -> None:
    """In the intermediate, right after unshare(CLONE_NEWUSER): have the parent write the
    new user namespace's uid/gid maps, and wait until it has."""
    sync.send({"type": "userns"})
    reply = sync.receive()
    if reply is None or reply.get("type") != "id-maps-written":
        raise RuntimeCreateError(str((reply or {}).get("message") or
                                     "the parent did not write the user namespace's maps"))


def _run_intermediate(ctx: InitContext, enter: Callable[[SyncChannel], None],
                      steps: tuple[Step, ...]) -> NoReturn:
    status = 1
    try:
        reset_signals()
        enter(ctx.sync)
        pid = os.fork()
        if pid == 0:
            _run_child(ctx, steps)
        ctx.sync.send({"type": "pid", "pid": pid})
        status = 0
    except BaseException as exc:
        with contextlib.suppress(BaseException):
            ctx.sync.send({"type": "error", "message": describe(exc)})
    os._exit(status)


def _answer_userns(channel: SyncChannel, pid: int,
                   write_id_maps: Callable[[int], None] | None) -> None:
    try:
        if write_id_maps is None:
            raise RuntimeCreateError("no uid/gid maps for the new user namespace")
        write_id_maps(pid)
    except RuntimeCreateError as exc:
        channel.send({"type": "error", "message": exc.message})
        return
    channel.send({"type": "id-maps-written"})


def _receive_pid(channel: SyncChannel, intermediate: int,
                 write_id_maps: Callable[[int], None] | None) -> dict[str, Any] | None:
    """The intermediate's report (its child's pid, or an error), answering its request for
    user namespace maps on the way."""
    while True:
        message = channel.receive()
        if message is None or message.get("type") != "userns":
            return message
        _answer_userns(channel, intermediate, write_id_maps)


def spawn(make_context: Callable[[SyncChannel], InitContext],
          enter: Callable[[SyncChannel], None], steps: tuple[Step, ...],
          write_id_maps: Callable[[int], None] | None = None) -> Spawned:
    """Fork the intermediate; return once it reported the child's host pid and exited.
    The child waits for ``Spawned.release()`` before its first step. ``write_id_maps`` is
    called with the intermediate's pid when it made a new user namespace."""
    parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    parent_fd, child_fd = parent_sock.detach(), child_sock.detach()
    ctx = make_context(SyncChannel(child_fd))
    intermediate = os.fork()
    if intermediate == 0:
        os.close(parent_fd)
        _run_intermediate(ctx, enter, steps)
    os.close(child_fd)
    channel = SyncChannel(parent_fd)
    try:
        message = _receive_pid(channel, intermediate, write_id_maps)
    except SyncError as exc:
        channel.close()
        raise RuntimeCreateError(str(exc)) from exc
    finally:
        os.waitpid(intermediate, 0)
    if message is None or message.get("type") != "pid":
        channel.close()
        detail = (message.get("message") or f"unexpected message {message}") if message \
            else "intermediate process died"
        raise RuntimeCreateError(str(detail))
    return Spawned(pid=int(message["pid"]), channel=channel)
