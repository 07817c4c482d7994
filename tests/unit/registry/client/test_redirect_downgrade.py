"""A redirect from https to plain http on the same host:port drops ``Authorization``: the
credentials would otherwise cross the network in clear text. One port serves both (the first
byte tells a TLS handshake from a plain request)."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.tls import make_tls_files

from wharf.registry.client import Endpoint, RegistryConfig
from wharf.registry.client.transport import Transport, read_body

TLS_RECORD = 0x16


class DualServer:
    """https: a 307 to the same host:port over http; http: records the request's headers."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(5)
        self.host = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.plain_requests: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        for _ in range(4):
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                self._answer(connection)

    def _answer(self, connection: socket.socket) -> None:
        first = connection.recv(1, socket.MSG_PEEK)
        if first and first[0] == TLS_RECORD:
            with self.context.wrap_socket(connection, server_side=True) as tls:
                _read_head(tls)
                location = f"http://{self.host}/plain"
                tls.sendall(
                    f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\n"
                    "Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
                )
            return
        self.plain_requests.append(_read_head(connection))
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")


def _read_head(connection: socket.socket) -> bytes:
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 65536:
        chunk = connection.recv(4096)
        if not chunk:
            break
        head += chunk
    return head


@pytest.fixture
def dual_server(tmp_path: Path) -> Iterator[DualServer]:
    files = make_tls_files(tmp_path / "tls")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.server_cert, files.server_key)
    server = DualServer(context)
    trusted = tmp_path / "certs.d" / server.host
    trusted.mkdir(parents=True)
    (trusted / "ca.crt").write_bytes(files.ca.read_bytes())  # Docker's certs.d layout
    server.thread.start()
    try:
        yield server
    finally:
        server.listener.shutdown(socket.SHUT_RDWR)
        server.listener.close()
        server.thread.join(10)


def test_a_redirect_from_https_to_http_drops_the_credentials(
    dual_server: DualServer, tmp_path: Path
) -> None:
    config = RegistryConfig(certs_dir=tmp_path / "certs.d", connect_timeout=5.0, read_timeout=5.0)
    transport = Transport(config)
    try:
        endpoint = Endpoint("https", dual_server.host)  # verified against the test CA
        url = f"https://{dual_server.host}/v2/a/b/blobs/x"
        response = transport.request(endpoint, "GET", url, {"Authorization": "Basic c2VjcmV0"})
        assert read_body(response, 100, "body") == b"ok"
    finally:
        transport.close()
    assert len(dual_server.plain_requests) == 1
    assert b"authorization" not in dual_server.plain_requests[0].lower()
