"""A pre-started fork server for shims: ``python -m wharf.runtime.shim_forkserver <socket>``.

Starting a Python interpreter and importing the shim costs tens of milliseconds per container;
forking an interpreter that already has them costs about one. The server imports the shim and
runtime modules once, freezes the GC (so children do not dirty the shared pages collecting
them), and for each request forks twice: the grandchild, in a new session and re-parented away
from the server, becomes the shim and survives both the server and the daemon.

Protocol on the server's socket, one connection per shim:
client → ``{"container_dir": "/abs/dir"}\\n``; server → ``{"pid": N}\\n`` (the shim's pid) and then,
from the shim itself, ``{"listening": true}\\n`` (or the connection closes: it failed; see
``<dir>/shim.log``), or ``{"error": "..."}\\n`` when the request is refused.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import socket
import sys
from pathlib import Path

from wharf.core.shimconfig import SHIM_SERVER_PARENT_ENV
from wharf.runtime.cgroups.warmup import warm_attach_lock
from wharf.runtime.oci.sealedexe import reexec_sealed
from wharf.runtime.shim import main as shim_main
from wharf.runtime.shim import monitor, runtimes  # noqa: F401  (imported once, shared by forks)
from wharf.runtime.shim.protocol import LOG_FILE, SHIM_CONFIG_FILE

__all__ = ["ShimForkServer", "main"]

MAX_REQUEST = 64 * 1024
REQUEST_TIMEOUT = 5.0
REAP_INTERVAL = 0.5  # how often exited intermediates are reaped while no request comes


def _preload_runtime() -> None:
    with contextlib.suppress(ImportError):
        import wharf.runtime.oci

        wharf.runtime.oci.preload()  # the create/exec code too: forked shims inherit it
    import ctypes  # noqa: F401  (the shim's prctl)


class ShimForkServer:
    """Accepts requests on a unix socket and forks one shim per request."""

    def __init__(self, socket_path: Path) -> None:
        self._path = socket_path
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._intermediates: set[int] = set()

    def bind(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()
        self._listener.bind(str(self._path))
        os.chmod(self._path, 0o600)
        self._listener.listen(128)

    def serve_forever(self) -> None:
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        _preload_runtime()
        gc.collect()
        gc.freeze()
        while True:
            self._reap()
            self._listener.settimeout(REAP_INTERVAL if self._intermediates else None)
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            with conn:
                self._handle(conn)

    def _reap(self) -> None:
        """Collect the intermediates that have exited (they linger a grace period: see
        ``_in_intermediate``); never blocks."""
        for pid in list(self._intermediates):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self._intermediates.discard(pid)

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(REQUEST_TIMEOUT)
        try:
            container_dir = self._read_request(conn)
        except (OSError, ValueError) as e:
            with contextlib.suppress(OSError):
                conn.sendall(json.dumps({"error": str(e)}).encode() + b"\n")
            return
        intermediate = os.fork()
        if intermediate == 0:
            self._in_intermediate(conn, container_dir)
        self._intermediates.add(intermediate)

    def _read_request(self, conn: socket.socket) -> Path:
        data = b""
        while b"\n" not in data:
            chunk = conn.recv(4096)
            if not chunk or len(data) > MAX_REQUEST:
                raise ValueError("incomplete request")
            data += chunk
        request = json.loads(data.partition(b"\n")[0])
        container_dir = Path(str(request["container_dir"]))
        if not container_dir.is_absolute() or not (container_dir / SHIM_CONFIG_FILE).is_file():
            raise ValueError(f"{container_dir}: not a container directory with {SHIM_CONFIG_FILE}")
        return container_dir

    def _in_intermediate(self, conn: socket.socket, container_dir: Path) -> None:
        """Never returns: forks the shim and exits, so the shim is re-parented away. Before
        exiting it warms the cgroup attach lock for the start the shim is about to run."""
        code = 1
        try:
            os.setsid()
            if os.fork() == 0:
                self._become_shim(conn, container_dir)
            code = 0
            conn.close()
            warm_attach_lock()
        finally:
            os._exit(code)

    def _become_shim(self, conn: socket.socket, container_dir: Path) -> None:
        code = 1
        try:
            self._listener.close()
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            null = os.open(os.devnull, os.O_RDWR)
            log = os.open(container_dir / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            for target, fd in ((0, null), (1, null), (2, log)):
                os.dup2(fd, target)
            os.close(null)
            os.close(log)
            conn.settimeout(None)
            conn.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
            notify_fd = conn.detach()
            shim_main.become_shim_process()
            code = shim_main.run_shim(container_dir, notify_fd)
        except BaseException as e:  # report, never unwind into the server's loop
            with contextlib.suppress(OSError):
                os.write(2, f"shim: {type(e).__name__}: {e}\n".encode())
        finally:
            os._exit(code)


PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """The server belongs to the wharfd that started it: when that daemon dies, even by
    SIGKILL, the server goes too (the next daemon starts its own). Shims it made live on: they
    are not its children. The daemon names itself in the environment, so a daemon that died
    while the server was still starting (re-exec included) is noticed as well."""
    import ctypes

    named = os.environ.pop(SHIM_SERVER_PARENT_ENV, "")
    parent = int(named) if named.isdigit() else os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(0)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        sys.stderr.write("usage: python -m wharf.runtime.shim_forkserver <socket>\n")
        return 2
    reexec_sealed()  # CVE-2019-5736: shims and container processes fork from a sealed exe
    die_with_parent()
    fork_server = ShimForkServer(Path(args[0]))
    fork_server.bind()
    fork_server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
