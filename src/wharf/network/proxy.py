"""The userland proxy: published ports served from the host by relaying to the container.

It runs its own asyncio loop in a daemon thread (the driver is called from worker threads,
and the proxy must outlive each call). :meth:`PortProxy.add` binds the listener in the
caller's thread before handing it to the loop, so a port already taken is a ``Conflict`` with
Docker's words right away. A listener on an IPv6 address is IPv6-only (``::`` next to
``0.0.0.0``, as Docker publishes both) and may relay to an IPv4 container. TCP relays read at
most :data:`CHUNK` bytes at a time and wait for the other side to drain (bounded memory);
an EOF is passed on as a half-close, and both sides close when both directions are done.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import socket
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from wharf.core.errors import Conflict, NotImplementedByWharf, RuntimeFailure
from wharf.core.netspec import PortMapping
from wharf.network.proxy_udp import UdpRelay

__all__ = ["PortProxy", "bind_listener"]

CHUNK = 65536
CONNECT_TIMEOUT = 10.0
UDP_IDLE_TIMEOUT = 90.0  # conntrack's UDP stream timeout, Docker's proxy's too
UDP_MAX_FLOWS = 1024
CALL_TIMEOUT = 10.0
T = TypeVar("T")
Key = tuple[str, str, int]


def _key(mapping: PortMapping) -> Key:
    return (mapping.proto, mapping.host_ip or "0.0.0.0", mapping.host_port)


def bind_listener(mapping: PortMapping) -> socket.socket:
    """The bound (and for TCP, listening) socket for ``mapping``; ``Conflict`` when taken."""
    if mapping.proto not in ("tcp", "udp"):
        raise NotImplementedByWharf(f"the userland proxy does not relay {mapping.proto}")
    host = ipaddress.ip_address(mapping.host_ip or "0.0.0.0")
    family = socket.AF_INET6 if host.version == 6 else socket.AF_INET
    kind = socket.SOCK_STREAM if mapping.proto == "tcp" else socket.SOCK_DGRAM
    sock = socket.socket(family, kind)
    try:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((str(host), mapping.host_port))
        if kind == socket.SOCK_STREAM:
            sock.listen(128)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise Conflict(f"Bind for {host}:{mapping.host_port} failed: "
                           "port is already allocated") from None
        where = f"{host}:{mapping.host_port}" if host.version == 4 else \
            f"[{host}]:{mapping.host_port}"
        reason = (exc.strerror or str(exc)).lower()
        raise RuntimeFailure(f"Error starting userland proxy: listen {mapping.proto}"
                             f"{host.version} {where}: bind: {reason}") from None
    return sock


def port_in_use(ip: str, proto: str, port: int) -> bool:
    """Whether binding the proxy's listener on ``ip:port`` would find it taken by another
    socket of the host (the allocator's probe for ephemeral picks)."""
    if proto not in ("tcp", "udp"):
        return False
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    with socket.socket(family, kind) as sock:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((ip or "0.0.0.0", port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


@dataclass
class _Listener:
    closer: Any  # asyncio.Server or UdpRelay
    connections: set[asyncio.StreamWriter] = field(default_factory=set)


class PortProxy:
    """Listeners keyed by (proto, host ip, host port)."""

    def __init__(self, udp_idle_timeout: float = UDP_IDLE_TIMEOUT) -> None:
        self._udp_idle_timeout = udp_idle_timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._listeners: dict[Key, _Listener] = {}
        self._lock = threading.Lock()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever,
                                                name="wharf-proxy", daemon=True)
                self._thread.start()
            loop = self._loop
        return asyncio.run_coroutine_threadsafe(coro, loop).result(CALL_TIMEOUT)

    def add(self, mapping: PortMapping) -> None:
        if _key(mapping) in self._listeners:
            raise Conflict(f"Bind for {_key(mapping)[1]}:{mapping.host_port} failed: "
                           "port is already allocated")
        sock = bind_listener(mapping)
        try:
            listener = self._call(self._serve(sock, mapping))
        except BaseException:
            sock.close()
            raise
        self._listeners[_key(mapping)] = listener

    async def _serve(self, sock: socket.socket, mapping: PortMapping) -> _Listener:
        target = (mapping.container_ip, mapping.container_port)
        if mapping.proto == "udp":
            relay = UdpRelay(target, self._udp_idle_timeout, UDP_MAX_FLOWS)
            await asyncio.get_running_loop().create_datagram_endpoint(lambda: relay, sock=sock)
            return _Listener(relay)
        listener = _Listener(None)

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            listener.connections.add(writer)
            try:
                await _relay_tcp(reader, writer, target)
            finally:
                listener.connections.discard(writer)

        listener.closer = await asyncio.start_server(handle, sock=sock, limit=CHUNK)
        return listener

    def remove(self, mapping: PortMapping) -> None:
        """Closes the listener and its connections; an unknown mapping is fine."""
        listener = self._listeners.pop(_key(mapping), None)
        if listener is not None:
            self._call(_close(listener))

    def close(self) -> None:
        for key in list(self._listeners):
            self._call(_close(self._listeners.pop(key)))
        if self._loop is not None and self._thread is not None:
            self._call(_cancel_the_rest())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(CALL_TIMEOUT)
            self._loop.close()
            self._loop = self._thread = None


async def _cancel_the_rest() -> None:
    """Ends the relays still running (their connections were aborted) before the loop stops."""
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


async def _close(listener: _Listener) -> None:
    if isinstance(listener.closer, UdpRelay):
        listener.closer.shutdown()
        return
    listener.closer.close()
    for writer in list(listener.connections):
        writer.transport.abort()
    await listener.closer.wait_closed()


async def _relay_tcp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     target: tuple[str, int]) -> None:
    try:
        up_reader, up_writer = await asyncio.wait_for(
            asyncio.open_connection(*target, limit=CHUNK), CONNECT_TIMEOUT)
    except (OSError, TimeoutError):
        writer.transport.abort()  # the client sees a reset, as from a closed port
        return
    try:
        await asyncio.gather(_pump(reader, up_writer, writer), _pump(up_reader, writer, up_writer),
                             return_exceptions=True)
    finally:
        for side in (writer, up_writer):
            side.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await side.wait_closed()


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter,
                source_side: asyncio.StreamWriter) -> None:
    """Copies until EOF, then half-closes ``sink``; an error aborts both connections, so the
    other direction ends too."""
    try:
        while data := await source.read(CHUNK):
            sink.write(data)
            await sink.drain()
        if sink.can_write_eof():
            sink.write_eof()
    except OSError:
        sink.transport.abort()
        source_side.transport.abort()
