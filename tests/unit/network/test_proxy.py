"""The userland proxy relaying on loopback: TCP both ways with half-close, UDP per-client
flows with an idle timeout, conflicts in Docker's words, listeners closed on remove."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from wharf.core.errors import Conflict, RuntimeFailure
from wharf.core.netspec import PortMapping
from wharf.network.proxy import PortProxy, bind_listener

LOCAL = "127.0.0.1"


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((LOCAL, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _proxy() -> Iterator[PortProxy]:
    proxy = PortProxy(udp_idle_timeout=0.3)
    try:
        yield proxy
    finally:
        proxy.close()


@contextlib.contextmanager
def _tcp_echo_upper() -> Iterator[int]:
    """A TCP server that answers what it read, upper-cased, once the client half-closes."""
    server = socket.create_server((LOCAL, 0))
    server.settimeout(5)

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = server.accept()
            with conn:
                conn.settimeout(5)
                data = b""
                while chunk := conn.recv(65536):
                    data += chunk
                conn.sendall(data.upper())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        server.close()
        thread.join(5)


def test_tcp_is_relayed_both_ways_with_half_close() -> None:
    with _tcp_echo_upper() as target, _proxy() as proxy:
        mapping = PortMapping("tcp", LOCAL, _free_port(socket.SOCK_STREAM), LOCAL, target, "x")
        proxy.add(mapping)
        payload = b"hello " * 50000  # more than one chunk, and than the socket buffers
        with socket.create_connection((LOCAL, mapping.host_port), timeout=5) as client:
            client.sendall(payload)
            client.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := client.recv(65536):
                answer += chunk
        assert answer == payload.upper()


def test_a_taken_port_is_a_conflict_in_dockers_words() -> None:
    with socket.create_server(("0.0.0.0", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(Conflict, match=rf"^Bind for 0.0.0.0:{port} failed: port is already"
                                           " allocated$"):
            bind_listener(PortMapping("tcp", "0.0.0.0", port, LOCAL, 80, "x"))


def test_the_same_mapping_twice_is_a_conflict_and_remove_frees_the_port() -> None:
    with _proxy() as proxy:
        mapping = PortMapping("tcp", LOCAL, _free_port(socket.SOCK_STREAM), LOCAL, 9, "x")
        proxy.add(mapping)
        with pytest.raises(Conflict):
            proxy.add(mapping)
        proxy.remove(mapping)
        proxy.remove(mapping)  # already gone: fine
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((LOCAL, mapping.host_port), timeout=2).close()
        proxy.add(mapping)  # free again


def test_a_refused_upstream_closes_the_client() -> None:
    with _proxy() as proxy:
        dead = _free_port(socket.SOCK_STREAM)
        mapping = PortMapping("tcp", LOCAL, _free_port(socket.SOCK_STREAM), LOCAL, dead, "x")
        proxy.add(mapping)
        with (socket.create_connection((LOCAL, mapping.host_port), timeout=5) as client,
              contextlib.suppress(ConnectionResetError)):
            assert client.recv(10) == b""


def test_udp_flows_per_client_and_idle_ones_expire() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as upstream, _proxy() as proxy:
        upstream.bind((LOCAL, 0))
        upstream.settimeout(5)
        mapping = PortMapping("udp", LOCAL, _free_port(socket.SOCK_DGRAM), LOCAL,
                              upstream.getsockname()[1], "x")
        proxy.add(mapping)
        clients = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
        try:
            sources = set()
            for number, client in enumerate(clients):
                client.settimeout(5)
                client.sendto(b"ping%d" % number, (LOCAL, mapping.host_port))
                data, source = upstream.recvfrom(100)
                assert data == b"ping%d" % number
                sources.add(source)
                upstream.sendto(data.upper(), source)
                assert client.recv(100) == b"PING%d" % number
            assert len(sources) == 2  # one flow (one upstream socket) per client
            relay = proxy._listeners[("udp", LOCAL, mapping.host_port)].closer
            deadline = time.monotonic() + 5
            while relay.flow_count and time.monotonic() < deadline:
                time.sleep(0.05)
            assert relay.flow_count == 0
        finally:
            for client in clients:
                client.close()


def test_an_address_not_on_the_host_fails_in_dockers_words() -> None:
    mapping = PortMapping("tcp", "203.0.113.77", 8080, LOCAL, 80, "x")  # TEST-NET-3
    with pytest.raises(RuntimeFailure, match=r"^Error starting userland proxy: listen tcp4 "
                                             r"203.0.113.77:8080: bind: cannot assign"):
        bind_listener(mapping)
