"""The daemon's side of the shim: launch shims and talk to them, on asyncio (docs/contracts.md).

A :class:`ShimLauncher` starts a shim for a container (forked by the shim server when one is
configured, else a fresh ``python -m wharf.runtime.shim``) and waits for its "listening" line
instead of polling. A :class:`ShimClient` opens one connection per request to the shim's
``shim.sock``; ``attach`` and ``exec`` turn theirs into a :class:`ShimStream` of frames. Nothing
here blocks the event loop: sockets and pipes are asyncio streams, files read are a few bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wharf.core.errors import RuntimeFailure
from wharf.runtime.shim.protocol import (
    EXIT_FILE,
    HEADER_SIZE,
    LOG_FILE,
    MAX_FRAME,
    PID_FILE,
    SHIM_CONFIG_FILE,
    SOCKET_FILE,
    ShimConfig,
    replace_file,
)

__all__ = [
    "ExitStatus",
    "ShimClient",
    "ShimConfig",
    "ShimLauncher",
    "ShimStream",
    "read_exit_status",
]

LAUNCH_TIMEOUT = 15.0
KILL_TIMEOUT = 5.0
REQUEST_TIMEOUT = 90.0  # start and exec run the OCI runtime, which is bounded at 60 s
MAX_LINE = 1024 * 1024


@dataclass(frozen=True)
class ExitStatus:
    """How a container's init ended (the content of exit.json)."""

    exit_code: int
    started_at: str
    finished_at: str
    oom_killed: bool
    pid: int


def read_exit_status(container_dir: Path) -> ExitStatus | None:
    """exit.json of a container whose shim has finished, or None when there is none (yet)."""
    try:
        raw: dict[str, Any] = json.loads((container_dir / EXIT_FILE).read_bytes())
        return ExitStatus(
            exit_code=int(raw["exit_code"]),
            started_at=str(raw.get("started_at") or ""),
            finished_at=str(raw.get("finished_at") or ""),
            oom_killed=bool(raw.get("oom_killed", False)),
            pid=int(raw.get("pid") or 0),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


async def _open(container_dir: Path) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to shim.sock through the directory's fd (no sun_path length limit)."""
    dir_fd = os.open(container_dir, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        return await asyncio.open_unix_connection(
            f"/proc/self/fd/{dir_fd}/{SOCKET_FILE}", limit=MAX_LINE
        )
    finally:
        os.close(dir_fd)


class ShimStream:
    """An attach or exec stream: frames from the shim, bytes to the process's stdin."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read_frame(self) -> tuple[int, bytes] | None:
        """The next ``(type, payload)``; None when the shim closed the stream."""
        try:
            header = await self._reader.readexactly(HEADER_SIZE)
            length = int.from_bytes(header[4:8], "big")
            if length > MAX_FRAME:
                raise RuntimeFailure(f"shim sent a frame of {length} bytes")
            payload = await self._reader.readexactly(length)
        except asyncio.IncompleteReadError:
            return None
        except ConnectionError:
            return None
        return header[0], payload

    async def write(self, data: bytes) -> None:
        self._writer.write(data)
        await self._writer.drain()

    async def close_stdin(self) -> None:
        """Half-close: the process sees end of input (with stdin_once for attach)."""
        with contextlib.suppress(OSError, RuntimeError):
            if self._writer.can_write_eof():
                self._writer.write_eof()
            await self._writer.drain()

    def close(self) -> None:
        self._writer.close()


class ShimClient:
    """Requests to the shim of one container."""

    def __init__(self, container_dir: Path) -> None:
        self.container_dir = container_dir

    async def _send(self, body: dict[str, Any]) -> tuple[
        dict[str, Any], asyncio.StreamReader, asyncio.StreamWriter
    ]:
        try:
            reader, writer = await _open(self.container_dir)
        except OSError as e:
            raise RuntimeFailure(f"shim of {self.container_dir.name} is not running: {e}") from e
        try:
            writer.write(json.dumps(body).encode() + b"\n")
            await writer.drain()
            line = await reader.readline()
        except (OSError, ValueError) as e:
            writer.close()
            raise RuntimeFailure(f"shim connection failed: {e}") from e
        if not line.endswith(b"\n"):
            writer.close()
            raise ConnectionResetError("shim closed the connection")
        try:
            reply: dict[str, Any] = json.loads(line)
        except ValueError as e:
            writer.close()
            raise RuntimeFailure(f"shim sent a malformed reply: {line[:200]!r}") from e
        if "error" in reply:
            writer.close()
            raise RuntimeFailure(str(reply["error"]))
        return reply, reader, writer

    async def _call(self, body: dict[str, Any], timeout: float = REQUEST_TIMEOUT) -> dict[str, Any]:
        try:
            reply, _reader, writer = await asyncio.wait_for(self._send(body), timeout)
        except ConnectionResetError as e:
            raise RuntimeFailure("shim closed the connection") from e
        except TimeoutError as e:
            raise RuntimeFailure(f"shim did not answer {body.get('op')!r} in time") from e
        writer.close()
        return reply

    async def start(self) -> int:
        """Create and start the container; the host pid of its init."""
        return int((await self._call({"op": "start"}))["pid"])

    async def attach(self, stdin: bool, stdout: bool, stderr: bool) -> ShimStream:
        body = {"op": "attach", "stdin": stdin, "stdout": stdout, "stderr": stderr}
        try:
            _reply, reader, writer = await asyncio.wait_for(self._send(body), REQUEST_TIMEOUT)
        except ConnectionResetError as e:
            raise RuntimeFailure("shim closed the connection") from e
        return ShimStream(reader, writer)

    async def exec(
        self, exec_id: str, process: dict[str, Any], tty: bool, stdin: bool
    ) -> ShimStream:
        body = {"op": "exec", "exec_id": exec_id, "process": process, "tty": tty, "stdin": stdin}
        try:
            _reply, reader, writer = await asyncio.wait_for(self._send(body), REQUEST_TIMEOUT)
        except ConnectionResetError as e:
            raise RuntimeFailure("shim closed the connection") from e
        return ShimStream(reader, writer)

    async def wait(self) -> ExitStatus:
        """Returns once the container has exited (from the shim, or exit.json if it is gone)."""
        try:
            reply, _reader, writer = await self._send({"op": "wait"})
            writer.close()
        except (ConnectionResetError, RuntimeFailure):
            reply = {}
        status = read_exit_status(self.container_dir)
        if status is not None:
            return status
        if "exit_code" not in reply:
            raise RuntimeFailure(f"shim of {self.container_dir.name} died without an exit status")
        return ExitStatus(
            exit_code=int(reply["exit_code"]), started_at="",
            finished_at=str(reply.get("finished_at") or ""),
            oom_killed=bool(reply.get("oom_killed")), pid=0,
        )

    async def state(self) -> dict[str, Any]:
        return await self._call({"op": "state"})

    async def kill(self, signal: int, all_processes: bool = False) -> None:
        await self._call({"op": "kill", "signal": int(signal), "all": all_processes})

    async def resize(self, height: int, width: int, exec_id: str = "") -> None:
        await self._call({"op": "resize", "height": height, "width": width, "exec_id": exec_id})


class ShimLauncher:
    """Starts shims: through the shim server when given, else as ``python -m``."""

    def __init__(
        self, python_executable: str = sys.executable, server_socket: Path | None = None
    ) -> None:
        self._python = python_executable
        self._server_socket = server_socket

    async def launch(self, config: ShimConfig) -> ShimClient:
        """Write shim.json, start a shim for ``config``, return once it is listening."""
        container_dir = config.bundle
        with contextlib.suppress(FileNotFoundError):
            (container_dir / EXIT_FILE).unlink()  # from an earlier run of this container
        replace_file(container_dir / SHIM_CONFIG_FILE, config.to_json().encode(), 0o644)
        try:
            if self._server_socket is not None:
                await asyncio.wait_for(self._fork_from_server(container_dir), LAUNCH_TIMEOUT)
            else:
                await asyncio.wait_for(self._spawn(container_dir), LAUNCH_TIMEOUT)
        except TimeoutError as e:
            raise RuntimeFailure(f"shim did not start in time{_log_tail(container_dir)}") from e
        return ShimClient(container_dir)

    async def connect(self, container_dir: Path) -> ShimClient | None:
        """A client for a running shim; None when the shim is gone (read exit.json then)."""
        try:
            _reader, writer = await _open(container_dir)
        except OSError:
            return None
        writer.close()
        return ShimClient(container_dir)

    async def destroy(self, container_dir: Path) -> None:
        """SIGKILL the shim of ``container_dir`` if it still runs (a container nobody wants:
        the caller then kills the container's cgroup) and remove its socket."""
        pid = live_shim_pid(container_dir)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + KILL_TIMEOUT
            while _running(pid) and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        with contextlib.suppress(FileNotFoundError):
            (container_dir / SOCKET_FILE).unlink()

    async def _spawn(self, container_dir: Path) -> None:
        read_fd, write_fd = os.pipe()
        log_fd = os.open(
            container_dir / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600
        )
        try:
            process = await asyncio.create_subprocess_exec(
                self._python, "-m", "wharf.runtime.shim", "--detach",
                "--notify-fd", str(write_fd), str(container_dir),
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=log_fd, pass_fds=(write_fd,), start_new_session=True,
            )
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
            os.close(log_fd)
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_fd, "rb", 0)
        )
        try:
            line = await reader.readline()
        finally:
            transport.close()
            await process.wait()  # the --detach parent exits at once; the shim lives on
        _expect_listening(line, container_dir)

    async def _fork_from_server(self, container_dir: Path) -> None:
        assert self._server_socket is not None
        try:
            reader, writer = await asyncio.open_unix_connection(str(self._server_socket))
        except OSError as e:
            raise RuntimeFailure(f"shim server unreachable: {e}") from e
        try:
            writer.write(json.dumps({"container_dir": str(container_dir)}).encode() + b"\n")
            await writer.drain()
            first = await reader.readline()
            try:
                forked: dict[str, Any] = json.loads(first) if first else {}
            except ValueError:
                forked = {}
            if "pid" not in forked:
                raise RuntimeFailure(str(forked.get("error") or "shim server failed to fork"))
            _expect_listening(await reader.readline(), container_dir)
        finally:
            writer.close()


def live_shim_pid(container_dir: Path) -> int | None:
    """The pid in shim.pid if that process is still the shim that wrote it: a shim (by its
    command line) that started before the file was written (not a later process that was
    given the same pid)."""
    try:
        pid_file = container_dir / PID_FILE
        pid = int(pid_file.read_text().strip())
        written = pid_file.stat().st_mtime
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        started = _process_start_time(pid)
    except (OSError, ValueError):
        return None
    if b"wharf.runtime.shim" not in cmdline or started > written + 1.0:
        return None
    return pid if _running(pid) else None


def _process_start_time(pid: int) -> float:
    """When ``pid`` started, in seconds since the epoch (``/proc/<pid>/stat`` field 22)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = int(fields[19])
    with open("/proc/stat") as stat:
        boot = next(int(line.split()[1]) for line in stat if line.startswith("btime "))
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting for its parent."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _log_tail(container_dir: Path) -> str:
    with contextlib.suppress(OSError):
        with open(container_dir / LOG_FILE, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 2000))
            text = f.read().decode(errors="replace").strip()
        if text:
            return ": " + text.splitlines()[-1]
    return ""


def _expect_listening(line: bytes, container_dir: Path) -> None:
    with contextlib.suppress(ValueError):
        if json.loads(line).get("listening") is True:
            return
    raise RuntimeFailure(f"shim failed to start{_log_tail(container_dir)}")

