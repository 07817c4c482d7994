"""An asyncio DNS responder (UDP and TCP) over the embedded resolver's names, with a forwarder.

Local names are answered from a ``Decider`` (``NameResolver.decide`` bound to the asking
container); other queries go to the upstream servers in order, each tried once with a timeout,
over the protocol the client used. At most ``max_in_flight`` forwards run at once (Docker's
resolver allows 100); a query beyond that, or one no upstream answered, gets SERVFAIL, as does
a non-local name asked from internal networks only (nothing to forward through).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from wharf.network import dnsmsg
from wharf.network.dns_names import Action, Decision

# (question, client address) -> what to do; the caller maps the client to its container
Decider = Callable[[dnsmsg.Question, tuple[str, int]], Decision]

TCP_MESSAGES_PER_CONNECTION = 64
TCP_IDLE_TIMEOUT = 5.0


@dataclass(frozen=True)
class Upstream:
    host: str
    port: int = 53


@dataclass(frozen=True)
class ForwardSettings:
    upstreams: tuple[Upstream, ...] = ()
    timeout: float = 4.0
    max_in_flight: int = 100


class DnsResponder:
    """Turns one query's bytes into the answer's bytes (or None: drop)."""

    def __init__(self, decide: Decider, settings: ForwardSettings) -> None:
        self._decide = decide
        self._settings = settings
        self._in_flight = 0

    async def respond(self, data: bytes, client: tuple[str, int], *, tcp: bool) -> bytes | None:
        try:
            query = dnsmsg.parse_query(data)
        except dnsmsg.DnsFormatError:
            return dnsmsg.error_for_bytes(data)
        limit = dnsmsg.TCP_LIMIT if tcp else query.udp_limit()
        if query.opcode != 0:
            return dnsmsg.build_response(query, dnsmsg.RCODE_NOTIMP, limit=limit)
        decision = self._decide(query.question, client)
        if decision.action is Action.ANSWER:
            return dnsmsg.build_response(query, dnsmsg.RCODE_NOERROR, _records(decision),
                                         limit=limit)
        if decision.action is Action.FAIL:
            return dnsmsg.build_response(query, dnsmsg.RCODE_SERVFAIL, limit=limit)
        answer = await self._forward_bounded(data, query.id, tcp=tcp)
        if answer is None:
            return dnsmsg.build_response(query, dnsmsg.RCODE_SERVFAIL, limit=limit)
        return answer

    async def _forward_bounded(self, data: bytes, ident: int, *, tcp: bool) -> bytes | None:
        if self._in_flight >= self._settings.max_in_flight:
            return None
        self._in_flight += 1
        try:
            return await self._forward(data, ident, tcp=tcp)
        finally:
            self._in_flight -= 1

    async def _forward(self, data: bytes, ident: int, *, tcp: bool) -> bytes | None:
        ask = ask_over_tcp if tcp else ask_over_udp
        fallback: bytes | None = None
        for upstream in self._settings.upstreams:
            try:
                answer = await asyncio.wait_for(ask(upstream, data), self._settings.timeout)
            except (OSError, TimeoutError, asyncio.IncompleteReadError):
                continue
            if not dnsmsg.answers_query(answer, ident):
                continue
            if _is_final(answer):
                return answer
            fallback = answer
        return fallback


def _is_final(answer: bytes) -> bool:
    """Whether to stop at this upstream's answer, as Docker does: a success, a truncated answer
    (the client retries over TCP), or an authoritative NXDOMAIN (RFC 8020); SERVFAIL, REFUSED or
    a plain NXDOMAIN move on to the next server (the last such answer is kept)."""
    rcode = dnsmsg.response_rcode(answer)
    if rcode == dnsmsg.RCODE_NOERROR or dnsmsg.is_truncated(answer):
        return True
    return rcode == dnsmsg.RCODE_NXDOMAIN and dnsmsg.is_authoritative(answer)


def _records(decision: Decision) -> list[dnsmsg.Record]:
    records = [dnsmsg.address_record(address) for address in decision.addresses]
    records += [dnsmsg.ptr_record(target) for target in decision.pointers]
    return records


class _UpstreamDatagram(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str | None, int]) -> None:
        if not self.answer.done():
            self.answer.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.answer.done():
            self.answer.set_exception(exc)


async def ask_over_udp(upstream: Upstream, data: bytes) -> bytes:
    """One datagram to ``upstream`` (connected socket: only its answers come back)."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        _UpstreamDatagram, remote_addr=(upstream.host, upstream.port))
    try:
        transport.sendto(data)
        return await protocol.answer
    finally:
        transport.close()


async def ask_over_tcp(upstream: Upstream, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(upstream.host, upstream.port)
    try:
        writer.write(struct.pack("!H", len(data)) + data)
        await writer.drain()
        return await read_tcp_message(reader)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def read_tcp_message(reader: asyncio.StreamReader) -> bytes:
    (length,) = struct.unpack("!H", await reader.readexactly(2))
    return await reader.readexactly(length)


class _ServerDatagram(asyncio.DatagramProtocol):
    def __init__(self, responder: DnsResponder) -> None:
        self._responder = responder
        self._transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        task = asyncio.ensure_future(self._answer(data, addr))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, data: bytes, addr: tuple[str, int]) -> None:
        answer = await self._responder.respond(data, addr[:2], tcp=False)
        if answer is not None and self._transport is not None:
            self._transport.sendto(answer, addr)


class DnsServer:
    """UDP and TCP listeners on one address and port (port 0: one free port for both)."""

    def __init__(self, responder: DnsResponder) -> None:
        self._responder = responder
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self.port = 0

    async def start(self, host: str, port: int = 0, attempts: int = 8) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(attempts):
            udp, _protocol = await loop.create_datagram_endpoint(
                lambda: _ServerDatagram(self._responder), local_addr=(host, port))
            bound_port = int(udp.get_extra_info("sockname")[1])
            try:
                self._tcp = await asyncio.start_server(self._serve_tcp, host, bound_port)
            except OSError:
                udp.close()
                if port:
                    raise
                continue
            self._udp, self.port = udp, bound_port
            return
        raise OSError(f"no port free for both UDP and TCP on {host}")

    async def serve(self, sockets: list[socket.socket]) -> None:
        """Serves sockets bound elsewhere (a sandbox's ``127.0.0.11:53``, bound inside its
        namespace) on the running loop, UDP and TCP told apart by type; :meth:`close` stops
        them and closes the sockets."""
        loop = asyncio.get_running_loop()
        for sock in sockets:
            if sock.type == socket.SOCK_DGRAM:
                self._udp, _protocol = await loop.create_datagram_endpoint(
                    lambda: _ServerDatagram(self._responder), sock=sock)
            else:
                self._tcp = await asyncio.start_server(self._serve_tcp, sock=sock)
            self.port = int(sock.getsockname()[1])

    async def _serve_tcp(self, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        client = writer.get_extra_info("peername")[:2]
        try:
            for _ in range(TCP_MESSAGES_PER_CONNECTION):
                data = await asyncio.wait_for(read_tcp_message(reader), TCP_IDLE_TIMEOUT)
                answer = await self._responder.respond(data, client, tcp=True)
                if answer is None:
                    break
                writer.write(struct.pack("!H", len(answer)) + answer)
                await writer.drain()
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def close(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()
