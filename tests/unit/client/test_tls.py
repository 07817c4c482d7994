from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from wharf.client.api import Client
from wharf.client.hosts import TLSSettings

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[int]:
    """Answers one connection's requests (``/_ping`` then ``/version``) over TLS."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        for _ in range(2):  # one failed handshake is allowed before the real client
            try:
                conn, _ = listener.accept()
                with context.wrap_socket(conn, server_side=True) as tls:
                    reader = tls.makefile("rb")
                    for _ in range(2):
                        request_line = reader.readline()
                        while reader.readline() not in (b"\r\n", b""):
                            continue
                        head = request_line.startswith(b"HEAD")
                        body = b"" if head else b'{"Version":"tls-ok"}'
                        tls.sendall(b"HTTP/1.1 200 OK\r\nApi-Version: 1.45\r\n"
                                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                    return
            except (ssl.SSLError, OSError):
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    listener.close()
    thread.join(5)


def test_verified_tls_round_trip(tls_server: int, certificate: tuple[Path, Path]) -> None:
    settings = TLSSettings(verify=True, ca_file=str(certificate[0]), cert_file=None,
                           key_file=None)
    client = Client.from_address(f"tcp://127.0.0.1:{tls_server}", settings)
    assert client.system.version() == {"Version": "tls-ok"}
    assert client.transport.api_version == "1.45"
