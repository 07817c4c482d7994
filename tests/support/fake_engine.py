"""An in-process fake Engine API: a threaded HTTP/1.1 server on a unix socket.

Tests register canned, Docker-shaped replies per route and inspect the recorded requests.
Replies can be JSON, a chunked stream, or a hijack (``101 UPGRADED`` then a callback that owns
the raw connection), which is how attach and exec start behave on dockerd.
"""

from __future__ import annotations

import json
import re
import socketserver
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, urlsplit

VERSION_PREFIX = re.compile(r"^/v(\d+\.\d+)(/.*)$")


@dataclass
class Recorded:
    method: str
    path: str               # without the /v1.NN prefix
    version: str | None     # "1.47" when the path was versioned
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


@dataclass
class Reply:
    status: int = 200
    body: Any = None                          # JSON-encoded unless bytes
    chunks: Iterable[bytes] | None = None      # chunked streaming body
    content_type: str = "application/json"
    hijack: Callable[[BinaryIO, BinaryIO], None] | None = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Recorded], Reply]


class FakeEngine:
    def __init__(self, socket_path: Path, api_version: str = "1.47") -> None:
        self.socket_path = socket_path
        self.api_version = api_version
        self.requests: list[Recorded] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._lock = threading.Lock()
        self._server: socketserver.ThreadingUnixStreamServer | None = None

    @property
    def address(self) -> str:
        return f"unix://{self.socket_path}"

    def route(self, method: str, pattern: str, reply: Reply | Handler | Any) -> None:
        """Answer ``method`` on paths matching ``pattern`` (a regex, anchored)."""
        if callable(reply) and not isinstance(reply, Reply):
            handler: Handler = reply
        else:
            canned = reply if isinstance(reply, Reply) else Reply(body=reply)

            def handler(_request: Recorded) -> Reply:
                return canned

        self._routes.insert(0, (method, re.compile(f"^{pattern}$"), handler))

    def find(self, method: str, path: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path == path]

    def paths(self) -> list[str]:
        with self._lock:
            return [f"{r.method} {r.path}" for r in self.requests]

    def _record(self, request: Recorded) -> None:
        with self._lock:
            self.requests.append(request)

    def _dispatch(self, request: Recorded) -> Reply:
        if request.path == "/_ping":
            return Reply(body=b"OK", content_type="text/plain",
                         headers={"Cache-Control": "no-cache, no-store, must-revalidate"})
        for method, pattern, handler in self._routes:
            if method == request.method and pattern.match(request.path):
                return handler(request)
        return Reply(status=404, body={"message": f"page not found: {request.path}"})

    def start(self) -> None:
        engine = self

        class RequestHandler(_Handler):
            fake = engine

        self._server = _QuietServer(str(self.socket_path), RequestHandler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


class _QuietServer(socketserver.ThreadingUnixStreamServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-stream (a failed start, a closed attach) are expected."""
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeEngine

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = b""
            for _ in range(1_000_000):
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        url = urlsplit(self.path)
        match = VERSION_PREFIX.match(url.path)
        version, path = (match.group(1), match.group(2)) if match else (None, url.path)
        request = Recorded(self.command, path, version, parse_qs(url.query),
                           {k.lower(): v for k, v in self.headers.items()}, self._read_body())
        self.fake._record(request)
        self._send(self.fake._dispatch(request))

    def _send(self, reply: Reply) -> None:
        if reply.hijack is not None:
            self.wfile.write(b"HTTP/1.1 101 UPGRADED\r\n"
                             b"Content-Type: application/vnd.docker.raw-stream\r\n"
                             b"Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
            self.wfile.flush()
            reply.hijack(self.rfile, self.wfile)  # type: ignore[arg-type]
            self.close_connection = True
            return
        self.send_response(reply.status)
        self.send_header("Api-Version", self.fake.api_version)
        self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.chunks is not None:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in reply.chunks:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            return
        body = reply.body if isinstance(reply.body, bytes) else (
            b"" if reply.body is None else json.dumps(reply.body).encode())
        if reply.status in (204, 304) or self.command == "HEAD":
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = _handle
