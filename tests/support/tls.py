"""A throw-away certificate authority, server and client certificates (openssl CLI)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TLSFiles:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    directory: Path  # holds ca.pem, cert.pem, key.pem: a DOCKER_CERT_PATH for the client


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_tls_files(directory: Path) -> TLSFiles:
    directory.mkdir(parents=True, exist_ok=True)
    days = "2"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem",
             "-out", "ca.pem", "-days", days, "-subj", "/CN=wharf-test-ca", cwd=directory)
    (directory / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    (directory / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for role in ("server", "client"):
        cert_name = "cert.pem" if role == "client" else "server-cert.pem"
        key_name = "key.pem" if role == "client" else "server-key.pem"
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key_name, "-out",
                 f"{role}.csr", "-subj", f"/CN={role}", cwd=directory)
        _openssl("x509", "-req", "-in", f"{role}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                 "-CAcreateserial", "-out", cert_name, "-days", days, "-extfile",
                 f"{role}.ext", cwd=directory)
    return TLSFiles(ca=directory / "ca.pem", server_cert=directory / "server-cert.pem",
                    server_key=directory / "server-key.pem", client_cert=directory / "cert.pem",
                    client_key=directory / "key.pem", directory=directory)
