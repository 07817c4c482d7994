"""The CNCF registry (Debian's ``docker-registry``, distribution 2.8) for the client's tests.

``start_registry`` runs it on a free 127.0.0.1 port with a temporary root, in one of three
auth modes: none, htpasswd (bcrypt), or token (``TokenIssuer``: a small issuer run by the
test, signing RS256 JWTs with ``openssl`` for a self-signed certificate the registry trusts
through ``rootcertbundle``). Everything is stopped and removed by the context managers.
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import bcrypt

REGISTRY_BINARY = "/usr/bin/docker-registry"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
SERVICE = "wharf-test-registry"
ISSUER = "wharf-test-issuer"
USER, PASSWORD = "ann", "s3cret-pw"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenIssuer:
    """Issues registry tokens: full access for USER/PASSWORD (or its refresh token), none for
    anonymous callers; a wrong password gets a 401. ``requests`` counts token requests."""

    directory: Path
    requests: list[dict[str, list[str]]] = field(default_factory=list)
    refresh_token: str = field(default_factory=lambda: secrets.token_hex(16))
    port: int = 0

    def __post_init__(self) -> None:
        self.key = self.directory / "issuer.key"
        self.cert = self.directory / "issuer.crt"
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=wharf-test-issuer",
                "-keyout",
                str(self.key),
                "-out",
                str(self.cert),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        der = subprocess.run(
            ["openssl", "x509", "-in", str(self.cert), "-outform", "DER"],
            check=True,
            capture_output=True,
            timeout=30,
        ).stdout
        self._x5c = base64.b64encode(der).decode()

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def sign(self, subject: str, scopes: list[str]) -> str:
        access = []
        for scope in scopes if subject else []:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": subject,
            "aud": SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self._x5c]}
        signing_input = (
            f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        )
        signature = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(self.key)],
            input=signing_input.encode(),
            check=True,
            capture_output=True,
            timeout=30,
        ).stdout
        return f"{signing_input}.{_b64url(signature)}"

    def answer(
        self, method: str, query: dict[str, list[str]], authorization: str
    ) -> tuple[int, dict[str, object]]:
        self.requests.append({"method": [method], **query})
        scopes = query.get("scope", [])
        subject = ""
        if method == "POST":
            if query.get("refresh_token") != [self.refresh_token]:
                return 401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad refresh token"}]}
            subject = USER
        elif authorization:
            expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            if authorization != expected:
                return 401, {
                    "errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]
                }
            subject = USER
        body: dict[str, object] = {"token": self.sign(subject, scopes), "expires_in": 300}
        if subject and query.get("offline_token") == ["true"]:
            body["refresh_token"] = self.refresh_token
        return 200, body

    @contextlib.contextmanager
    def serving(self) -> Iterator[TokenIssuer]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, method: str, query: dict[str, list[str]]) -> None:
                status, body = issuer.answer(method, query, self.headers.get("Authorization", ""))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._reply("GET", parse_qs(urlsplit(self.path).query))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._reply("POST", parse_qs(self.rfile.read(length).decode()))

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.timeout = 5
        self.port = int(server.server_address[1])
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(STOP_TIMEOUT)


def _auth_section(directory: Path, mode: str, issuer: TokenIssuer | None) -> str:
    if mode == "htpasswd":
        hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=5)).decode()
        (directory / "htpasswd").write_text(f"{USER}:{hashed}\n")
        return f"auth:\n  htpasswd:\n    realm: wharf-test\n    path: {directory / 'htpasswd'}\n"
    if mode == "token":
        assert issuer is not None
        return (
            f"auth:\n  token:\n    realm: {issuer.realm}\n    service: {SERVICE}\n"
            f"    issuer: {ISSUER}\n    rootcertbundle: {issuer.cert}\n"
        )
    return ""


def _wait_ready(port: int, process: subprocess.Popen[bytes], scheme: str) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"docker-registry exited with {process.returncode}")
        try:
            url = f"{scheme}://127.0.0.1:{port}/v2/"
            urllib.request.urlopen(url, timeout=1, context=context).close()
            return
        except urllib.error.HTTPError:
            return  # 401: up, and asking for credentials
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("docker-registry did not start in time")


def make_tls_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (it is also its own CA)."""
    key, cert = directory / "tls.key", directory / "tls.crt"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return key, cert


def _tls_section(tls: tuple[Path, Path] | None) -> str:
    if tls is None:
        return ""
    return f"  tls:\n    certificate: {tls[1]}\n    key: {tls[0]}\n"


@contextlib.contextmanager
def start_registry(
    directory: Path,
    mode: str = "none",
    issuer: TokenIssuer | None = None,
    tls: tuple[Path, Path] | None = None,
) -> Iterator[str]:
    """Run the registry (``tls``: its key and certificate); yields its ``127.0.0.1:port``."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = directory / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: error\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {directory / 'root'}\n"
        "  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n  secret: {secrets.token_hex(16)}\n"
        + _tls_section(tls)
        + _auth_section(directory, mode, issuer)
    )
    log = (directory / "registry.log").open("wb")
    process = subprocess.Popen([REGISTRY_BINARY, "serve", str(config)], stdout=log, stderr=log)
    try:
        _wait_ready(port, process, "https" if tls else "http")
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
        log.close()
