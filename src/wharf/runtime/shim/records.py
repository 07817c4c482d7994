"""The shim's records: a client connection and a container process (init or exec)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

from wharf.runtime.shim.stdio import ProcessStdio

__all__ = ["Client", "Process"]


@dataclass(eq=False)
class Process:
    """The container's init or an exec'd process, as far as the shim drives its stdio."""

    exec_id: str  # "" for init
    tty: bool
    stdio: ProcessStdio = field(default_factory=ProcessStdio)
    pid: int = 0
    wait_status: int | None = None
    reaped_at: float = 0.0
    stdin_buffer: bytearray = field(default_factory=bytearray)
    stdin_closing: bool = False  # close the stdin once the buffer is written
    stream: Client | None = None  # an exec's client

    @property
    def is_init(self) -> bool:
        return self.exec_id == ""

    @property
    def outputs_open(self) -> bool:
        return bool(self.stdio.outputs)


@dataclass(eq=False)
class Client:
    """One connection to shim.sock: a request, then maybe a stream of frames."""

    sock: socket.socket
    kind: str = "request"  # then "attach", "wait" or "exec" when the connection stays open
    request: bytearray = field(default_factory=bytearray)
    answered: bool = False  # the request line has been handled
    out: bytearray = field(default_factory=bytearray)
    reading: bool = True  # the client may still send bytes
    streams: frozenset[str] = frozenset()  # attach: "stdout"/"stderr" wanted
    stdin_target: Process | None = None
    close_when_flushed: bool = False
    closing_until: float | None = None  # half-closed by us: its input is read and dropped

    @property
    def fd(self) -> int:
        return self.sock.fileno()
