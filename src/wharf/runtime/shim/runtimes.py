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


def _result_of(pid: int, read_fd: int, timeout: float) -> Any:
    """What the helper ``pid`` reported on ``read_fd`` (it then exits); raises its error."""
    import select

    data = b""
    deadline = time.monotonic() + timeout
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([read_fd], [], [], remaining)[0]:
                break
            chunk = os.read(read_fd, 65536)
            data += chunk
            if not chunk or data.endswith(b"\n"):  # (EOF may never come: the container's
                break                               # init holds the pipe until its execve)
    finally:
        os.close(read_fd)
    if data.endswith(b"\n"):
        os.waitpid(pid, 0)  # it exits right after its report
    else:
        _wait_bounded(pid, max(0.0, deadline - time.monotonic()))
    try:
        reply = json.loads(data)
    except ValueError:
        raise RuntimeCallError("the runtime helper process died") from None
    if "error" in reply:
        raise RuntimeCallError(str(reply["error"]))
    return reply.get("ok")


def _serve_in_helper(write_fd: int, stdio: Stdio | None, call: Any, args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> None:
    """In the forked helper: take ``stdio`` as fds 0-2, run ``call``, report, never return."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)  # the shim's loop fd is not ours
        for signum in INHERITED_IGNORES:
            signal.signal(signum, signal.SIG_DFL)  # SIG_IGN would survive into the container
        if stdio is not None:
            for target, fd in enumerate(stdio):
                os.dup2(fd, target)
        try:
            reply: dict[str, Any] = {"ok": call(*args, **kwargs)}
        except Exception as e:  # the runtime's typed errors, and OSErrors of its syscalls
            reply = {"error": str(e) or type(e).__name__}
        os.write(write_fd, json.dumps(reply).encode() + b"\n")
        code = 0
    finally:
        os._exit(code)


class InProcessRuntime:
    """wharf's own runtime, without exec or parse: each call runs in a helper forked from the
    shim (as runc would run beside it), so what the call allocates and touches (the parsed
    config, the seccomp program, the copy-on-write pages of the heap) goes when it exits and
    each running shim stays small. The container's init, forked by the helper, is re-parented
    to the shim (a subreaper) when the helper exits."""

    def __init__(self, oci: ModuleType, config: ShimConfig) -> None:
        self._oci = oci
        self._config = config

    def _in_helper(self, stdio: Stdio | None, call: Any, *args: Any, **kwargs: Any) -> Any:
        read_fd, write_fd = os.pipe2(os.O_CLOEXEC)
        try:
            pid = os.fork()
        except OSError as e:
            os.close(read_fd)
            os.close(write_fd)
            raise RuntimeCallError(f"fork: {e.strerror}") from e
        if pid == 0:
            os.close(read_fd)
            _serve_in_helper(write_fd, stdio, call, args, kwargs)
        os.close(write_fd)
        return _result_of(pid, read_fd, CALL_TIMEOUT)

    def create(self, stdio: Stdio, console_socket: str | None, pid_file: Path) -> int:
        c = self._config
        null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
        try:
            own_stdio = stdio if console_socket is None else (null, null, null)
            return int(self._in_helper(
                own_stdio, self._oci.create, c.runtime_root, c.id, c.bundle,
                console_socket=console_socket, pid_file=pid_file,
            ))
        finally:
            os.close(null)

    def start(self) -> None:
        self._in_helper(None, self._oci.start, self._config.runtime_root, self._config.id)

    def kill(self, signal_number: int, all_processes: bool) -> None:  # small: in process
        c = self._config
        try:
            self._oci.kill(c.runtime_root, c.id, signal_number, all_processes)
        except Exception as e:
            raise RuntimeCallError(str(e)) from e

    def delete(self, force: bool) -> None:  # in process: the shim exits soon after anyway
        try:
            self._oci.delete(self._config.runtime_root, self._config.id, force)
        except Exception as e:
            raise RuntimeCallError(str(e)) from e

    def exec(
        self, process: dict[str, Any], stdio: Stdio, console_socket: str | None, pid_file: Path
    ) -> int:
        c = self._config
        return int(self._in_helper(
            stdio, self._oci.exec_process, c.runtime_root, c.id, process,
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
