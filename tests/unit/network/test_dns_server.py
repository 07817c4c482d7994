"""The responder on 127.0.0.1 random ports, with fake upstreams on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import cast

import pytest
from tests.unit.network.dns_wire import answer_rdatas, header_fields, query_bytes

from wharf.network import dnsmsg
from wharf.network.dns_names import Endpoint, NameResolver, NetworkNames
from wharf.network.dns_server import DnsResponder, DnsServer, ForwardSettings, Upstream

LOCAL = "127.0.0.1"
WEB_ID = "a" * 64
ASKER_ID = "b" * 64
UPSTREAM_ADDRESS = bytes([93, 184, 216, 34])


def _names(*, internal: bool = False) -> NameResolver:
    net = NetworkNames("net", internal=internal)
    net.attach(Endpoint(WEB_ID, "web", ("www",), ipaddress.IPv4Address("10.5.0.2")))
    net.attach(Endpoint(ASKER_ID, "asker", (), ipaddress.IPv4Address("10.5.0.3")))
    return NameResolver({"net": net})


def _responder(upstreams: tuple[Upstream, ...], *, internal: bool = False,
               timeout: float = 1.0, max_in_flight: int = 100) -> DnsResponder:
    names = _names(internal=internal)
    settings = ForwardSettings(upstreams, timeout, max_in_flight)
    return DnsResponder(lambda q, _client: names.decide(ASKER_ID, q.name, q.qtype), settings)


class _FakeUpstream(asyncio.DatagramProtocol):
    """Answers every query with one A record; counts what it saw; may stay silent."""

    def __init__(self, silent: bool = False, delay: float = 0.0, wrong_id: bool = False,
                 rcode: int = dnsmsg.RCODE_NOERROR, authoritative: bool = False) -> None:
        self.seen: list[bytes] = []
        self.silent, self.delay, self.wrong_id = silent, delay, wrong_id
        self.rcode, self.authoritative = rcode, authoritative
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.seen.append(data)
        if not self.silent:
            asyncio.get_running_loop().call_later(self.delay, self._reply, data, addr)

    def _reply(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        answer = _upstream_answer(data, self.rcode)
        if self.authoritative:
            answer = answer[:2] + bytes([answer[2] | 0x04]) + answer[3:]
        if self.wrong_id:
            answer = bytes([answer[0] ^ 0xFF]) + answer[1:]
        self.transport.sendto(answer, addr)


def _upstream_answer(data: bytes, rcode: int = dnsmsg.RCODE_NOERROR) -> bytes:
    query = dnsmsg.parse_query(data)
    records = [dnsmsg.Record(dnsmsg.TYPE_A, 60, UPSTREAM_ADDRESS)] if rcode == 0 else []
    return dnsmsg.build_response(query, rcode, records, limit=dnsmsg.TCP_LIMIT)


def _factory(protocol: _FakeUpstream) -> Callable[[], _FakeUpstream]:
    return lambda: protocol


@contextlib.asynccontextmanager
async def _upstreams(*protocols: _FakeUpstream) -> AsyncIterator[tuple[Upstream, ...]]:
    loop = asyncio.get_running_loop()
    transports: list[asyncio.DatagramTransport] = []
    try:
        for protocol in protocols:
            transport, _ = await loop.create_datagram_endpoint(
                _factory(protocol), local_addr=(LOCAL, 0))
            transports.append(transport)
        yield tuple(Upstream(LOCAL, t.get_extra_info("sockname")[1]) for t in transports)
    finally:
        for transport in transports:
            transport.close()


async def _start_tcp_upstream() -> tuple[asyncio.Server, Upstream]:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        (length,) = struct.unpack("!H", await reader.readexactly(2))
        answer = _upstream_answer(await reader.readexactly(length))
        writer.write(struct.pack("!H", len(answer)) + answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, LOCAL, 0)
    return server, Upstream(LOCAL, server.sockets[0].getsockname()[1])


def _run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 10))


def _udp_exchange(port: int, data: bytes) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(data, (LOCAL, port))
        return sock.recv(65535)


def _tcp_exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection((LOCAL, port), timeout=3) as sock:
        sock.sendall(struct.pack("!H", len(data)) + data)
        length = struct.unpack("!H", sock.recv(2, socket.MSG_WAITALL))[0]
        return sock.recv(length, socket.MSG_WAITALL)


def test_server_answers_local_names_over_udp_and_tcp() -> None:
    async def scenario() -> None:
        server = DnsServer(_responder(()))
        await server.start(LOCAL)
        try:
            data = query_bytes("WWW", ident=42)
            for exchange in (_udp_exchange, _tcp_exchange):
                reply = await asyncio.to_thread(exchange, server.port, data)
                assert header_fields(reply)[0] == 42
                assert dnsmsg.response_rcode(reply) == dnsmsg.RCODE_NOERROR
                assert answer_rdatas(reply, len(data) - 12) == [(1, bytes([10, 5, 0, 2]))]
        finally:
            await server.close()
    _run(scenario)


def test_server_forwards_other_names_to_the_first_upstream_that_answers() -> None:
    async def scenario() -> None:
        silent, speaking = _FakeUpstream(silent=True), _FakeUpstream()
        async with _upstreams(silent, speaking) as upstreams:
            await _forward_once(upstreams, silent, speaking)
    _run(scenario)


async def _forward_once(upstreams: tuple[Upstream, ...], silent: _FakeUpstream,
                        speaking: _FakeUpstream) -> None:
    server = DnsServer(_responder(upstreams, timeout=0.3))
    await server.start(LOCAL)
    try:
        data = query_bytes("example.com", ident=7)
        reply = await asyncio.to_thread(_udp_exchange, server.port, data)
        assert answer_rdatas(reply, len(data) - 12) == [(1, UPSTREAM_ADDRESS)]
        assert silent.seen == [data] and speaking.seen == [data]
    finally:
        await server.close()


def test_forward_over_tcp_when_the_client_used_tcp() -> None:
    async def scenario() -> None:
        upstream_server, upstream = await _start_tcp_upstream()
        responder = _responder((upstream,))
        data = query_bytes("example.com", ident=8)
        reply = await responder.respond(data, (LOCAL, 1), tcp=True)
        assert reply is not None
        assert answer_rdatas(reply, len(data) - 12) == [(1, UPSTREAM_ADDRESS)]
        upstream_server.close()
        await upstream_server.wait_closed()
    _run(scenario)


def test_no_upstream_answer_is_servfail() -> None:
    async def scenario() -> None:
        silent = _FakeUpstream(silent=True)
        async with _upstreams(silent) as upstreams:
            responder = _responder(upstreams, timeout=0.2)
            reply = await responder.respond(query_bytes("example.com"), (LOCAL, 1), tcp=False)
        assert reply is not None and dnsmsg.response_rcode(reply) == dnsmsg.RCODE_SERVFAIL
    _run(scenario)


@pytest.mark.parametrize(("first", "authoritative", "second", "expected", "second_asked"), [
    (dnsmsg.RCODE_SERVFAIL, False, dnsmsg.RCODE_NOERROR, dnsmsg.RCODE_NOERROR, True),
    (dnsmsg.RCODE_REFUSED, False, dnsmsg.RCODE_NOERROR, dnsmsg.RCODE_NOERROR, True),
    (dnsmsg.RCODE_NXDOMAIN, False, dnsmsg.RCODE_NOERROR, dnsmsg.RCODE_NOERROR, True),
    (dnsmsg.RCODE_NXDOMAIN, True, dnsmsg.RCODE_NOERROR, dnsmsg.RCODE_NXDOMAIN, False),
    (dnsmsg.RCODE_SERVFAIL, False, dnsmsg.RCODE_REFUSED, dnsmsg.RCODE_REFUSED, True),
])
def test_upstream_failures_move_on_as_docker(first: int, authoritative: bool, second: int,
                                             expected: int, second_asked: bool) -> None:
    async def scenario() -> None:
        one = _FakeUpstream(rcode=first, authoritative=authoritative)
        two = _FakeUpstream(rcode=second)
        async with _upstreams(one, two) as upstreams:
            reply = await _responder(upstreams, timeout=0.5).respond(
                query_bytes("example.com"), (LOCAL, 1), tcp=False)
        assert reply is not None and dnsmsg.response_rcode(reply) == expected
        assert len(one.seen) == 1 and len(two.seen) == (1 if second_asked else 0)
    _run(scenario)


def test_in_flight_forwards_are_bounded() -> None:
    async def scenario() -> None:
        slow = _FakeUpstream(delay=0.3)
        async with _upstreams(slow) as upstreams:
            responder = _responder(upstreams, max_in_flight=2)
            replies = await asyncio.gather(*(
                responder.respond(query_bytes("example.com", ident=i), (LOCAL, 1), tcp=False)
                for i in range(5)))
        codes = sorted(dnsmsg.response_rcode(r) for r in replies if r is not None)
        assert codes == [0, 0, 2, 2, 2]
        assert len(slow.seen) == 2
    _run(scenario)


@pytest.mark.parametrize(("internal", "upstreams", "rcode"), [
    (True, (Upstream(LOCAL, 9),), dnsmsg.RCODE_SERVFAIL),
    (False, (), dnsmsg.RCODE_SERVFAIL),
])
def test_unforwardable_queries_fail(internal: bool, upstreams: tuple[Upstream, ...],
                                           rcode: int) -> None:
    async def scenario() -> None:
        responder = _responder(upstreams, internal=internal)
        reply = await responder.respond(query_bytes("example.com"), (LOCAL, 1), tcp=False)
        assert reply is not None and dnsmsg.response_rcode(reply) == rcode
    _run(scenario)


def test_malformed_queries_get_formerr_or_nothing() -> None:
    async def scenario() -> None:
        responder = _responder(())
        garbage = struct.pack("!6H", 3, 0, 1, 0, 0, 0) + b"\x09abc"
        reply = await responder.respond(garbage, (LOCAL, 1), tcp=False)
        assert reply is not None and dnsmsg.response_rcode(reply) == dnsmsg.RCODE_FORMERR
        assert await responder.respond(b"\x01", (LOCAL, 1), tcp=False) is None
        notify = query_bytes("web", flags=0x2000)
        reply = await responder.respond(notify, (LOCAL, 1), tcp=False)
        assert reply is not None and dnsmsg.response_rcode(reply) == dnsmsg.RCODE_NOTIMP
    _run(scenario)


def test_server_survives_garbage_then_answers() -> None:
    async def scenario() -> None:
        server = DnsServer(_responder(()))
        await server.start(LOCAL)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.sendto(b"\xff" * 3, (LOCAL, server.port))
            reply = await asyncio.to_thread(_udp_exchange, server.port, query_bytes("web"))
            assert dnsmsg.response_rcode(reply) == dnsmsg.RCODE_NOERROR
        finally:
            await server.close()
    _run(scenario)


def test_many_local_answers_truncate_over_udp_but_not_over_tcp() -> None:
    async def scenario() -> None:
        names = _names()
        for index in range(60):
            ident = f"{index:012x}" + "c" * 52
            names.network("net").attach(
                Endpoint(ident, f"w{index}", ("pool",), ipaddress.IPv4Address(f"10.5.1.{index}")))
        settings = ForwardSettings(())
        responder = DnsResponder(lambda q, _c: names.decide(ASKER_ID, q.name, q.qtype), settings)
        data = query_bytes("pool")
        udp = await responder.respond(data, (LOCAL, 1), tcp=False)
        tcp = await responder.respond(data, (LOCAL, 1), tcp=True)
        assert udp is not None and tcp is not None
        assert dnsmsg.is_truncated(udp) and len(udp) <= 512
        assert not dnsmsg.is_truncated(tcp) and header_fields(tcp)[3] == 60
    _run(scenario)


def test_an_answer_with_another_id_is_ignored() -> None:
    async def scenario() -> None:
        liar, honest = _FakeUpstream(wrong_id=True), _FakeUpstream()
        data = query_bytes("example.com", ident=0x0102)
        async with _upstreams(liar, honest) as upstreams:
            reply = await _responder(upstreams, timeout=0.5).respond(data, (LOCAL, 1), tcp=False)
        assert reply is not None and header_fields(reply)[0] == 0x0102
        assert len(liar.seen) == 1 and len(honest.seen) == 1
    _run(scenario)


def _ipv6_loopback_works() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback_works(), reason="no IPv6 loopback here")
def test_server_on_ipv6_loopback() -> None:
    async def scenario() -> None:
        server = DnsServer(_responder(()))
        await server.start("::1")
        try:
            def exchange() -> bytes:
                with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
                    sock.settimeout(3)
                    sock.sendto(query_bytes("web"), ("::1", server.port))
                    return sock.recv(4096)
            reply = await asyncio.to_thread(exchange)
            assert dnsmsg.response_rcode(reply) == dnsmsg.RCODE_NOERROR
            assert header_fields(reply)[3] == 1
        finally:
            await server.close()
    _run(scenario)


def _bound_pair() -> list[socket.socket]:
    """A UDP and a TCP socket on one free loopback port, as a sandbox's would be."""
    for _ in range(8):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((LOCAL, 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind((LOCAL, udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(8)
        return [udp, tcp]
    raise AssertionError("no free port pair")


def test_serve_answers_on_sockets_bound_elsewhere_and_close_stops_them() -> None:
    async def scenario() -> None:
        sockets = _bound_pair()
        port = sockets[0].getsockname()[1]
        server = DnsServer(_responder(()))
        await server.serve(sockets)
        assert server.port == port
        try:
            data = query_bytes("web", ident=7)
            for exchange in (_udp_exchange, _tcp_exchange):
                reply = await asyncio.to_thread(exchange, port, data)
                assert header_fields(reply)[0] == 7
                assert answer_rdatas(reply, len(data) - 12) == [(1, bytes([10, 5, 0, 2]))]
        finally:
            await server.close()
        for _ in range(20):  # the transports close their sockets on the next loop turns
            if all(sock.fileno() == -1 for sock in sockets):
                break
            await asyncio.sleep(0.01)
        assert [sock.fileno() for sock in sockets] == [-1, -1]
        with pytest.raises(OSError):
            await asyncio.to_thread(_tcp_exchange, port, data)
    _run(scenario)
