"""wharfd over TCP+TLS on loopback, driven by the stock docker CLI and by wharf; plain TCP off
loopback is refused."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.daemons import DOCKER_CLI, wharfd_running
from tests.support.net import free_port
from tests.support.tls import make_tls_files

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
VENV_BIN = Path(sys.executable).parent



def test_tls_tcp_with_client_certificates(tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path / "certs")
    port = free_port()
    args = ("-H", f"tcp://127.0.0.1:{port}", "--tlsverify", "--tlscacert", str(tls.ca),
            "--tlscert", str(tls.server_cert), "--tlskey", str(tls.server_key))
    with wharfd_running(tmp_path / "w", *args):
        env = dict(os.environ, DOCKER_HOST=f"tcp://127.0.0.1:{port}", DOCKER_TLS_VERIFY="1",
                   DOCKER_CERT_PATH=str(tls.directory))
        out = subprocess.run([DOCKER_CLI, "version", "--format", "{{.Server.APIVersion}}"],
                             env=env, capture_output=True, timeout=30)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == b"1.47"
        wharf = subprocess.run(
            [str(VENV_BIN / "wharf"), "-H", f"tcp://127.0.0.1:{port}", "--tlsverify",
             "--tlscacert", str(tls.ca), "--tlscert", str(tls.client_cert), "--tlskey",
             str(tls.client_key), "info", "--format", "{{.OSType}}"],
            capture_output=True, timeout=30)
        assert wharf.stdout.strip() == b"linux", wharf.stderr
        assert ping_over_tls(port, tls.ca, (tls.client_cert, tls.client_key)).startswith(
            b"HTTP/1.1 200")  # the probe works: with a certificate the daemon answers
        refused = ping_over_tls(port, tls.ca, None)
        assert not refused.startswith(b"HTTP/"), refused


def ping_over_tls(port: int, ca: Path, client_cert: tuple[Path, Path] | None) -> bytes:
    """GET /_ping through a real TLS handshake (with or without a client certificate); what
    the daemon answered, or the TLS error it ended the connection with."""
    context = ssl.create_default_context(cafile=str(ca))
    if client_cert is not None:
        context.load_cert_chain(str(client_cert[0]), str(client_cert[1]))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        try:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as conn:
                # TLS 1.3: the client's handshake ends before the server has checked the
                # certificate; the refusal arrives as an alert on the first read
                conn.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                return conn.recv(4096) or b"(closed)"
        except (ssl.SSLError, ConnectionError) as err:
            return f"TLS error: {err}".encode()


def test_plain_tcp_off_loopback_is_refused(tmp_path: Path) -> None:
    res = subprocess.run(
        [str(VENV_BIN / "wharfd"), "--data-root", str(tmp_path / "data"), "-H",
         f"tcp://0.0.0.0:{free_port()}", "--exec-root", str(tmp_path / "exec")],
        capture_output=True, timeout=30)
    assert res.returncode != 0
    assert b"TLS" in res.stderr or b"tls" in res.stderr


def test_tls_without_client_verification_off_loopback_is_refused(tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path / "certs")
    res = subprocess.run(
        [str(VENV_BIN / "wharfd"), "--data-root", str(tmp_path / "data"), "-H",
         f"tcp://0.0.0.0:{free_port()}", "--exec-root", str(tmp_path / "exec"), "--tls",
         "--tlscert", str(tls.server_cert), "--tlskey", str(tls.server_key),
         "--pidfile", str(tmp_path / "wharfd.pid")],
        capture_output=True, timeout=30)
    assert res.returncode != 0
    assert b"without --tlsverify" in res.stderr, res.stderr
