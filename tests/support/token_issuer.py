"""A small token server for the CNCF registry's ``auth: token`` mode, run by the test itself.

The registry sends clients to ``realm`` (``WWW-Authenticate: Bearer realm=...,service=...,
scope=...``); the client asks this issuer for a token (GET with basic credentials or none, or
the OAuth2 POST with a password or refresh token, as Docker's token handler does), and the
registry verifies the JWT: its issuer, its audience (the service), and its signature through
the ``x5c`` certificate, which must chain to the registry's ``rootcertbundle``. Tokens are RS256
signed by ``openssl`` (no crypto library needed); the key and self-signed certificate are made
by ``openssl`` too.

Granted access: a known user gets every action it asks for on ``repository`` scopes (and
``registry:catalog:*``); an anonymous client gets ``anonymous_actions`` (none by default); a
wrong password is a 401. ``requests`` records every token request for tests to assert on.
"""

from __future__ import annotations

import base64
import json
import subprocess
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ISSUER = "wharf-test-issuer"
SERVICE = "wharf-test-registry"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_signing_key(directory: Path) -> tuple[Path, Path]:
    """An RSA key and a self-signed certificate for it (``key.pem``, ``cert.pem``)."""
    key, cert = directory / "token-key.pem", directory / "token-cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=wharf-test-token-issuer", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return key, cert


def certificate_der_b64(cert: Path) -> str:
    der = subprocess.run(["openssl", "x509", "-in", str(cert), "-outform", "DER"],
                         check=True, capture_output=True, timeout=30).stdout
    return base64.b64encode(der).decode()


@dataclass
class TokenRequest:
    method: str
    user: str | None
    scopes: list[str]
    granted: list[dict[str, object]]
    fields: dict[str, list[str]] = field(default_factory=dict)  # the query or form, as sent


@dataclass
class TokenIssuer:
    directory: Path
    users: dict[str, str]
    anonymous_actions: tuple[str, ...] = ()
    lifetime: int = 300
    requests: list[TokenRequest] = field(default_factory=list)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> user

    def __post_init__(self) -> None:
        self.key, self.cert = make_signing_key(self.directory)
        self.x5c = certificate_der_b64(self.cert)
        self._server: ThreadingHTTPServer | None = None

    @property
    def realm(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/token"

    def start(self) -> None:
        issuer = self

        class Handler(TokenHandler):
            owner = issuer
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def sign(self, claims: dict[str, object]) -> str:
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        signing_input = f"{b64url(json.dumps(header).encode())}." \
                        f"{b64url(json.dumps(claims).encode())}"
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(self.key)],
                                   input=signing_input.encode(), check=True,
                                   capture_output=True, timeout=30).stdout
        return f"{signing_input}.{b64url(signature)}"

    def grant(self, user: str | None, scopes: list[str]) -> list[dict[str, object]]:
        access: list[dict[str, object]] = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            wanted = [a for a in actions.split(",") if a]
            allowed = wanted if user is not None else [
                a for a in wanted if a in self.anonymous_actions]
            if kind in ("repository", "registry") and allowed:
                access.append({"type": kind, "name": name, "actions": allowed})
        return access

    def issue(self, method: str, user: str | None, scopes: list[str], offline: bool,
              fields: dict[str, list[str]] | None = None) -> dict[str, object]:
        granted = self.grant(user, scopes)
        self.requests.append(TokenRequest(method, user, scopes, granted, fields or {}))
        now = int(time.time())
        token = self.sign({"iss": ISSUER, "sub": user or "", "aud": SERVICE, "exp":
                           now + self.lifetime, "nbf": now - 5, "iat": now,
                           "jti": uuid.uuid4().hex, "access": granted})
        answer: dict[str, object] = {"token": token, "access_token": token,
                                     "expires_in": self.lifetime,
                                     "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                time.gmtime(now))}
        if offline and user is not None:
            refresh = uuid.uuid4().hex
            self.refresh_tokens[refresh] = user
            answer["refresh_token"] = refresh
        return answer


class TokenHandler(BaseHTTPRequestHandler):
    owner: TokenIssuer
    timeout = 30

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests read ``owner.requests`` instead."""

    def reply(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def basic_user(self) -> tuple[bool, str | None]:
        """(credentials valid or absent, user name when given and valid)."""
        header = self.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return True, None
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False, None
        return (True, user) if self.owner.users.get(user) == password else (False, None)

    def do_GET(self) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        ok, user = self.basic_user()
        if not ok:
            self.reply(401, {"details": "incorrect username or password"})
            return
        offline = query.get("offline_token", ["false"])[0] == "true"
        self.reply(200, self.owner.issue("GET", user, query.get("scope", []), offline,
                                                 query))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(min(length, 65536)).decode())
        grant = form.get("grant_type", [""])[0]
        user: str | None = None
        if grant == "password":
            name = form.get("username", [""])[0]
            if self.owner.users.get(name) != form.get("password", [""])[0]:
                self.reply(401, {"details": "incorrect username or password"})
                return
            user = name
        elif grant == "refresh_token":
            user = self.owner.refresh_tokens.get(form.get("refresh_token", [""])[0])
            if user is None:
                self.reply(401, {"details": "invalid refresh token"})
                return
        else:
            self.reply(400, {"error": "unsupported_grant_type"})
            return
        scopes = " ".join(form.get("scope", [])).split()
        offline = form.get("access_type", [""])[0] == "offline"
        self.reply(200, self.owner.issue("POST", user, scopes, offline, form))
