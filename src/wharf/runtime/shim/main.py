"""The shim process: become a subreaper in our own session, then serve the container.

Used by ``python -m wharf.runtime.shim`` and by the shim server's forked children.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path

from wharf.runtime.shim.protocol import SHIM_CONFIG_FILE, ShimConfig

__all__ = ["become_shim_process", "main", "run_shim"]

NOTIFY_FD = 3
USAGE = "usage: python -m wharf.runtime.shim [--detach] [--notify-fd N] <container-dir>\n"
PR_SET_CHILD_SUBREAPER = 36


def _set_child_subreaper() -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), "prctl(PR_SET_CHILD_SUBREAPER)")


def become_shim_process() -> None:
    """Process-wide set-up: subreaper, signals that must not kill us, a safe cwd."""
    _set_child_subreaper()
    for signum in (signal.SIGHUP, signal.SIGPIPE, signal.SIGINT):
        signal.signal(signum, signal.SIG_IGN)
    os.chdir("/")
    os.umask(0o022)


def _notify(fd: int | None) -> None:
    if fd is None:
        return
    with contextlib.suppress(OSError):
        os.write(fd, b'{"listening": true}\n')
    with contextlib.suppress(OSError):
        os.close(fd)


def run_shim(container_dir: Path, notify_fd: int | None) -> int:
    """Serve the container in ``container_dir`` (its shim.json) until it has exited."""
    from wharf.runtime.shim.monitor import Shim
    from wharf.runtime.shim.runtimes import select_runtime

    config = ShimConfig.from_json((container_dir / SHIM_CONFIG_FILE).read_bytes())
    shim = Shim(container_dir, config, select_runtime(config))
    shim.listen()
    _notify(notify_fd)
    return shim.run()


def _open_notify_fd(requested: int | None) -> int | None:
    fd = NOTIFY_FD if requested is None else requested
    try:
        os.fstat(fd)
    except OSError:
        return None
    os.set_inheritable(fd, False)
    return fd


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    detach = bool(args) and args[0] == "--detach"
    args = args[1:] if detach else args
    notify: int | None = None
    if len(args) == 3 and args[0] == "--notify-fd" and args[1].isdigit():
        notify, args = int(args[1]), args[2:]
    if len(args) != 1:
        sys.stderr.write(USAGE)
        return 2
    notify_fd = _open_notify_fd(notify)
    if detach and os.fork() > 0:
        os._exit(0)  # the launcher reaps this parent at once; the shim is re-parented away
    if os.getsid(0) != os.getpid():
        with contextlib.suppress(PermissionError):
            os.setsid()
    become_shim_process()
    return run_shim(Path(args[0]).resolve(), notify_fd)
