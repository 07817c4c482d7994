"""The userland proxy's UDP side: one flow per client (a connected socket to the container, so
only the container's answers come back to that client), closed after an idle timeout. Runs on
the proxy's loop; everything here is synchronous callbacks, no task per datagram."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from dataclasses import dataclass, field
from typing import Any, cast

__all__ = ["UdpRelay"]

DATAGRAM_MAX = 65535
REPLIES_PER_WAKEUP = 64  # bound the work of one readiness callback


@dataclass
class _Flow:
    sock: socket.socket
    last_used: float = field(default_factory=time.monotonic)


class UdpRelay(asyncio.DatagramProtocol):
    """Relays datagrams between clients of one listener and ``target``."""

    def __init__(self, target: tuple[str, int], idle_timeout: float, max_flows: int) -> None:
        self._target = target
        self._family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
        self._idle_timeout = idle_timeout
        self._max_flows = max_flows
        self._flows: dict[Any, _Flow] = {}
        self._transport: asyncio.DatagramTransport | None = None
        self._reaper: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)
        self._schedule_reaper()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        flow = self._flows.get(addr) or self._open(addr)
        if flow is None:
            return  # too many clients at once: dropped, as an overloaded NAT would
        flow.last_used = time.monotonic()
        with contextlib.suppress(OSError):  # full buffer, ICMP refusal: UDP loses it
            flow.sock.send(data)

    def _open(self, addr: Any) -> _Flow | None:
        if len(self._flows) >= self._max_flows:
            return None
        sock = socket.socket(self._family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            sock.connect(self._target)
        except OSError:
            sock.close()
            return None
        flow = _Flow(sock)
        self._flows[addr] = flow
        asyncio.get_running_loop().add_reader(sock.fileno(), self._reply, addr, flow)
        return flow

    def _reply(self, addr: Any, flow: _Flow) -> None:
        for _ in range(REPLIES_PER_WAKEUP):
            try:
                data = flow.sock.recv(DATAGRAM_MAX)
            except BlockingIOError:
                return
            except OSError:
                continue  # an ICMP error reported on the socket: read on
            flow.last_used = time.monotonic()
            if self._transport is not None:
                self._transport.sendto(data, addr)

    def _schedule_reaper(self) -> None:
        loop = asyncio.get_running_loop()
        self._reaper = loop.call_later(max(self._idle_timeout / 2, 0.05), self._reap)

    def _reap(self) -> None:
        deadline = time.monotonic() - self._idle_timeout
        for addr, flow in list(self._flows.items()):
            if flow.last_used < deadline:
                self._close_flow(addr)
        self._schedule_reaper()

    def _close_flow(self, addr: Any) -> None:
        flow = self._flows.pop(addr)
        asyncio.get_running_loop().remove_reader(flow.sock.fileno())
        flow.sock.close()

    @property
    def flow_count(self) -> int:
        return len(self._flows)

    def connection_lost(self, exc: Exception | None) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            self._reaper = None
        for addr in list(self._flows):
            self._close_flow(addr)
        if self._transport is not None:
            self._transport.close()
