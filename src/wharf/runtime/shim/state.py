"""What the parts of the shim share: its state, and the methods one part calls on another.

The shim (:class:`wharf.runtime.shim.monitor.Shim`) is split at its seams: ``process_io``
(container output to the log and the clients, client input to the process), ``connections``
(clients of shim.sock), ``requests`` (the protocol's operations) and ``monitor`` (the loop,
children, the end). Each part is a class on this base; ``Shim`` is all of them.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from wharf.core.shimconfig import ShimConfig
from wharf.core.timefmt import ZERO_TIME
from wharf.runtime.shim.bundle import BundleSpec
from wharf.runtime.shim.eventloop import EventLoop
from wharf.runtime.shim.jsonlog import JsonLogWriter
from wharf.runtime.shim.records import Client, Process
from wharf.runtime.shim.runtimes import ShimRuntime

__all__ = ["HIGH_WATER", "ShimState"]

HIGH_WATER = 1024 * 1024  # bytes queued for a client, or for a stdin, before reading pauses


class ShimState:
    """The state of one shim."""

    def __init__(self, container_dir: Path, config: ShimConfig, runtime: ShimRuntime) -> None:
        self._dir = container_dir
        self._config = config
        self._runtime = runtime
        self._loop = EventLoop()
        self._bundle = BundleSpec(config.bundle)
        self._clients: list[Client] = []
        self._init = Process(exec_id="", tty=config.tty)
        self._execs: list[Process] = []
        self._unclaimed: dict[int, int] = {}  # reaped pids nobody claimed yet → wait status
        self._status = "created"
        self._exit_code: int | None = None
        self._oom = False
        self._started_at = ZERO_TIME
        self._finished_at = ZERO_TIME
        self._finalized_at = 0.0
        self._log = JsonLogWriter(config.log_path, config.log_max_size, config.log_max_files)
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)

    # ---- what the parts need of each other ---------------------------------------------------
    def _watch(self, process: Process) -> None:
        raise NotImplementedError  # process_io.ProcessIO

    def _destinations(self, process: Process) -> list[Client]:
        raise NotImplementedError  # process_io.ProcessIO

    def _close_output(self, process: Process, fd: int, stream: str) -> None:
        raise NotImplementedError  # process_io.ProcessIO

    def _close_stdin(self, process: Process) -> None:
        raise NotImplementedError  # process_io.ProcessIO

    def _end_input(self, client: Client) -> None:
        raise NotImplementedError  # process_io.ProcessIO

    def _drop(self, client: Client) -> None:
        raise NotImplementedError  # connections.Connections

    def _reply(self, client: Client, body: dict[str, Any], then_close: bool = True) -> None:
        raise NotImplementedError  # connections.Connections

    def _dispatch(self, client: Client, line: bytes) -> None:
        raise NotImplementedError  # requests.Requests

    def _adopt(self, process: Process, pid: int) -> None:
        raise NotImplementedError  # monitor.Shim

    def _finalize(self) -> None:
        raise NotImplementedError  # monitor.Shim

    def _exit_frame(self) -> bytes:
        raise NotImplementedError  # monitor.Shim
