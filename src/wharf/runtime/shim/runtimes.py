"""The OCI runtime behind a shim: any runc-compatible binary, or wharf's own in process.

Both drivers give the same behaviour: the process's stdio is the three fds handed in (or a PTY
sent over ``console_socket``), the host pid comes back, and a failure raises
:class:`RuntimeCallError` with the runtime's own message (runc's wording). The CLI driver reads
that message from runc's ``--log`` (JSON) file rather than from stderr, since stderr may be the
container's. Every call is synchronous and bounded in time.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from wharf.runtime.shim.protocol import ShimConfig

__all__ = ["CliRuntime", "InProcessRuntime", "RuntimeCallError", "ShimRuntime", "select_runtime"]

Stdio = tuple[int, int, int]
CALL_TIMEOUT = 60.0
INHERITED_IGNORES = (signal.SIGPIPE, signal.SIGHUP, signal.SIGINT)


class RuntimeCallError(Exception):
    """A runtime operation failed; ``str()`` is the runtime's message."""


class ShimRuntime(Protocol):
    def create(self, stdio: Stdio, console_socket: str | None, pid_file: Path) -> int: ...
    def start(self) -> None: ...
    def kill(self, signal_number: int, all_processes: bool) -> None: ...
    def delete(self, force: bool) -> None: ...
    def exec(
        self, process: dict[str, Any], stdio: Stdio, console_socket: str | None, pid_file: Path
    ) -> int: ...


def _which(name: str) -> str | None:
    if "/" in name:
        return name if os.access(name, os.X_OK) else None
    search = [str(Path(sys.executable).parent), *os.environ.get("PATH", "").split(os.pathsep)]
    for directory in search:
        candidate = os.path.join(directory or ".", name)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None


def _read_pid(pid_file: Path) -> int:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError) as e:
        raise RuntimeCallError(f"reading pid file {pid_file}: {e}") from e


def _wait_bounded(pid: int, timeout: float) -> int:
    """Wait for our child ``pid``; kill it past ``timeout``. Returns its wait status."""
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            return os.waitpid(pid, 0)[1]
        time.sleep(delay)
        delay = min(delay * 2, 0.02)


class CliRuntime:
    """A runc-compatible runtime driven through its command line."""

    def __init__(self, binary: str, config: ShimConfig) -> None:
        self._binary = binary
        self._config = config
        self._log = config.bundle / "runtime.log.json"

    def _global_args(self) -> list[str]:
        root = str(self._config.runtime_root)
        return [self._binary, "--root", root, "--log", str(self._log), "--log-format", "json"]

    def _last_error(self) -> str:
        message = ""
        with contextlib.suppress(OSError):
            for line in self._log.read_text(errors="replace").splitlines()[-50:]:
                with contextlib.suppress(ValueError, AttributeError):
                    entry = json.loads(line)
                    if entry.get("level") in ("error", "fatal") and entry.get("msg"):
                        message = str(entry["msg"])
        return message

    def _call(self, args: list[str], stdio: Stdio | None = None) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._log.unlink()
        null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
        try:
            fds = stdio or (null, null, null)
            actions = [(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in enumerate(fds)]
            try:
                pid = os.posix_spawn(
                    self._binary, self._global_args() + args, dict(os.environ),
                    file_actions=actions, setsigdef=INHERITED_IGNORES,
                )
            except OSError as e:
                raise RuntimeCallError(f"{self._binary}: {e.strerror}") from e
        finally:
            os.close(null)
        status = _wait_bounded(pid, CALL_TIMEOUT)
        if os.waitstatus_to_exitcode(status) != 0:
            message = self._last_error() or f"{args[0]} failed with status {status}"
            raise RuntimeCallError(message)

    def create(self, stdio: Stdio, console_socket: str | None, pid_file: Path) -> int:
        args = ["create", "--bundle", str(self._config.bundle), "--pid-file", str(pid_file)]
        if console_socket:
            args += ["--console-socket", console_socket]
        self._call([*args, self._config.id], stdio)
        return _read_pid(pid_file)

    def start(self) -> None:
        self._call(["start", self._config.id])

    def kill(self, signal_number: int, all_processes: bool) -> None:
        flags = ["--all"] if all_processes else []
        self._call(["kill", *flags, self._config.id, str(signal_number)])

    def delete(self, force: bool) -> None:
        self._call(["delete", *(["--force"] if force else []), self._config.id])

    def exec(
        self, process: dict[str, Any], stdio: Stdio, console_socket: str | None, pid_file: Path
    ) -> int:
        process_file = pid_file.with_suffix(".process.json")
        process_file.write_text(json.dumps(process))
        try:
            args = ["exec", "--detach", "--process", str(process_file), "--pid-file", str(pid_file)]
            if console_socket:
                args += ["--console-socket", console_socket]
            self._call([*args, self._config.id], stdio)
        finally:
            with contextlib.suppress(FileNotFoundError):
                process_file.unlink()
        return _read_pid(pid_file)


@contextlib.contextmanager
def _as_own_stdio(stdio: Stdio) -> Iterator[None]:
    """Make ``stdio`` this process's fds 0-2 for the duration (the runtime API inherits them)."""
    saved = [os.dup(fd) for fd in (0, 1, 2)]
    try:
        for target, fd in enumerate(stdio):
            os.dup2(fd, target)
        yield
    finally:
        for target, fd in enumerate(saved):
            os.dup2(fd, target)
            os.close(fd)


@contextlib.contextmanager
def _default_dispositions() -> Iterator[None]:
    """Signals the shim ignores are back to default meanwhile: SIG_IGN survives fork and exec,
    and a container whose ``yes | head`` cannot die of SIGPIPE would spin forever."""
    saved = {signum: signal.signal(signum, signal.SIG_DFL) for signum in INHERITED_IGNORES}
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


class InProcessRuntime:
    """wharf's own runtime, called in process (``wharf.runtime.oci``): no exec, no parse."""

    def __init__(self, oci: ModuleType, config: ShimConfig) -> None:
        self._oci = oci
        self._config = config

    def _guarded(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except Exception as e:  # the runtime's typed errors, and OSErrors of its syscalls
            raise RuntimeCallError(str(e)) from e

    def create(self, stdio: Stdio, console_socket: str | None, pid_file: Path) -> int:
        c = self._config
        null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
        try:
            own_stdio = stdio if console_socket is None else (null, null, null)
            with _as_own_stdio(own_stdio), _default_dispositions():
                return int(self._guarded(
                    self._oci.create, c.runtime_root, c.id, c.bundle,
                    console_socket=console_socket, pid_file=pid_file,
                ))
        finally:
            os.close(null)

    def start(self) -> None:
        self._guarded(self._oci.start, self._config.runtime_root, self._config.id)

    def kill(self, signal_number: int, all_processes: bool) -> None:
        c = self._config
        self._guarded(self._oci.kill, c.runtime_root, c.id, signal_number, all_processes)

    def delete(self, force: bool) -> None:
        self._guarded(self._oci.delete, self._config.runtime_root, self._config.id, force)

    def exec(
        self, process: dict[str, Any], stdio: Stdio, console_socket: str | None, pid_file: Path
    ) -> int:
        c = self._config
        with _as_own_stdio(stdio), _default_dispositions():
            return int(self._guarded(
                self._oci.exec_process, c.runtime_root, c.id, process,
                console_socket=console_socket, pid_file=pid_file, detach=True,
            ))


def _wharf_oci() -> ModuleType | None:
    try:
        import wharf.runtime.oci as oci
    except ImportError:
        return None
    needed = ("create", "start", "kill", "delete", "exec_process")
    return oci if all(hasattr(oci, name) for name in needed) else None


def select_runtime(config: ShimConfig) -> ShimRuntime:
    """The driver for ``config.runtime``: "wharf" in process when importable, else a binary."""
    if config.runtime == "wharf":
        oci = _wharf_oci()
        if oci is not None:
            return InProcessRuntime(oci, config)
        binary = _which("wharf-runtime")
    else:
        binary = _which(config.runtime)
    if binary is None:
        raise RuntimeCallError(f"runtime {config.runtime!r} not found")
    return CliRuntime(binary, config)
