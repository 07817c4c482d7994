"""wharfd over TCP+TLS on loopback, driven by the stock docker CLI and by wharf; plain TCP off
loopback is refused."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.daemons import DOCKER_CLI, wharfd_running
from tests.support.tls import make_tls_files

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
        no_cert = subprocess.run(
            [DOCKER_CLI, "-H", f"tcp://127.0.0.1:{port}", "version"],
            env={k: v for k, v in env.items() if not k.startswith("DOCKER_")},
            capture_output=True, timeout=30)
        assert no_cert.returncode != 0


def test_plain_tcp_off_loopback_is_refused(tmp_path: Path) -> None:
    res = subprocess.run(
        [str(VENV_BIN / "wharfd"), "--data-root", str(tmp_path / "data"), "-H",
         f"tcp://0.0.0.0:{free_port()}", "--exec-root", str(tmp_path / "exec")],
        capture_output=True, timeout=30)
    assert res.returncode != 0
    assert b"TLS" in res.stderr or b"tls" in res.stderr
