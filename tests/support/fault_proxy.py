"""A counting, fault-injecting HTTP proxy in front of a registry, on 127.0.0.1.

A client is pointed at ``proxy.host`` instead of the registry's; every request is forwarded
(bodies buffered, ``Host`` kept, so the registry's ``Location`` headers name the proxy), and
every response body is counted per request path (``bytes_served``), with the ``Range`` header
each request carried (``log``). ``Fault`` rules change what a matching request gets:

- ``cut_after=N``: the headers as the registry sent them, then the body up to byte N of the
  resource, then the connection is closed: a blob that always ends at N, however often the
  client retries or resumes with ``Range: bytes=S-`` (it gets N - S bytes, or none);
- ``delay=S``: nothing for S seconds before the request is forwarded (a slow registry; a long
  S is a registry that never answers);
- ``throttle=S``: S seconds of sleep after every 64 KiB of body (a slow download to interrupt);
- ``status=N`` (+ ``body``, ``headers``): that answer instead of the registry's;
- ``body=...`` with ``status`` None: the registry's status and headers with this body instead
  (``drop_headers`` removed, e.g. ``Docker-Content-Digest``), for malformed manifests.

Rules match a method (or any) and a regular expression searched in the path; ``times`` limits
how often one fires. A rule's fields are read as it acts, so a test may change them while a
transfer runs (``throttle = 0`` lets a slowed download finish at full speed). Every socket has
a timeout; ``stop`` ends the server.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailers", "transfer-encoding", "upgrade", "content-length"}
CHUNK = 64 * 1024
BLOB_PATH = r"/blobs/sha256:"


@dataclass
class Fault:
    path: str                               # regular expression searched in the request path
    method: str | None = None               # None matches every method
    cut_after: int | None = None
    delay: float = 0.0
    throttle: float = 0.0
    status: int | None = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    drop_headers: tuple[str, ...] = ()
    times: int | None = None                # None: every time

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        return (self.method is None or self.method == method) and re.search(self.path, path) \
            is not None


@dataclass
class Logged:
    method: str
    path: str
    range: str | None
    status: int
    body_bytes: int


class FaultProxy:
    def __init__(self, upstream: str, faults: list[Fault] | None = None) -> None:
        self.upstream = upstream                # "127.0.0.1:PORT"
        self.faults: list[Fault] = list(faults or [])
        self.log: list[Logged] = []
        self.served: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()
        proxy = self

        class Handler(ProxyHandler):
            owner = proxy
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def count(self, path: str, size: int) -> None:
        with self.lock:
            self.served[path] += size

    def bytes_served(self, pattern: str = BLOB_PATH) -> int:
        with self.lock:
            return sum(n for path, n in self.served.items() if re.search(pattern, path))

    def wait_for_bytes(self, pattern: str, at_least: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            served = self.bytes_served(pattern)
            if served >= at_least:
                return served
            time.sleep(0.02)
        raise AssertionError(f"only {self.bytes_served(pattern)} bytes of {pattern} served "
                             f"in {timeout}s (waited for {at_least})")

    def requests_for(self, pattern: str) -> list[Logged]:
        with self.lock:
            return [entry for entry in self.log if re.search(pattern, entry.path)]


def range_start(header: str | None) -> int:
    """The first byte a ``Range: bytes=S-[E]`` header asks for (0 without one)."""
    found = re.match(r"bytes=(\d+)-", header or "")
    return int(found[1]) if found else 0


class ProxyHandler(BaseHTTPRequestHandler):
    owner: FaultProxy
    protocol_version = "HTTP/1.1"
    timeout = 60

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests read ``owner.log``."""

    def read_request_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def handle_any(self) -> None:
        self.close_connection = True
        body = self.read_request_body()
        fault = self.owner.take_fault(self.command, self.path)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.status is not None:
            self.answer(fault.status, fault.headers, fault.body or b"")
            return
        self.forward(body, fault)

    def answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.record(status, len(body))
        if self.command != "HEAD":
            self.wfile.write(body)

    def record(self, status: int, size: int) -> Logged:
        """Log the request before its body goes out (a client that has read it all may look
        at the log at once); ``body_bytes`` is updated as the body is sent."""
        entry = Logged(self.command, self.path, self.headers.get("Range"), status, size)
        with self.owner.lock:
            self.owner.log.append(entry)
        return entry

    def forward(self, body: bytes, fault: Fault | None) -> None:
        conn = http.client.HTTPConnection(self.owner.upstream, timeout=60)
        try:
            conn.putrequest(self.command, self.path, skip_host=True,
                            skip_accept_encoding=True)
            for name, value in self.headers.items():  # repeated ones too (Accept)
                if name.lower() not in HOP_BY_HOP:
                    conn.putheader(name, value)
            if body or self.command in ("PUT", "POST", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            resp = conn.getresponse()
            if fault is not None and fault.body is not None:
                kept = {k: v for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP
                        and k.lower() not in {h.lower() for h in fault.drop_headers}}
                resp.read()
                self.answer(resp.status, {**kept, **fault.headers}, fault.body)
                return
            self.relay(resp, fault)
        finally:
            conn.close()

    def relay(self, resp: http.client.HTTPResponse, fault: Fault | None) -> None:
        self.send_response(resp.status)
        for name, value in resp.getheaders():
            if name.lower() not in HOP_BY_HOP or name.lower() == "content-length":
                self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        entry = self.record(resp.status, 0)
        sent = 0
        limit = None
        if fault is not None and fault.cut_after is not None:
            limit = max(0, fault.cut_after - range_start(self.headers.get("Range")))
        while self.command != "HEAD":
            chunk = resp.read(CHUNK)
            if not chunk:
                break
            if limit is not None:
                chunk = chunk[:max(0, limit - sent)]
                if not chunk:
                    break
            self.owner.count(self.path, len(chunk))  # before the client can have read it
            try:
                self.wfile.write(chunk)
            except OSError:
                break
            sent += len(chunk)
            entry.body_bytes = sent
            if limit is not None and sent >= limit:
                break
            if fault is not None and fault.throttle:
                time.sleep(fault.throttle)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any
