"""The Engine API transport: connections, version negotiation, errors, streams, hijacking.

One ``Transport`` per CLI invocation. It keeps at most one idle keep-alive connection, negotiates
the API version on first use (``GET /_ping`` → ``Api-Version``; the client uses
``min(server, 1.47)``, or ``DOCKER_API_VERSION`` when set), prefixes every path with ``/v1.NN``,
and turns Docker's error bodies (``{"message": ...}``) into ``wharf.core.errors`` types.
"""

from __future__ import annotations

import _socket  # the C module: ``socket`` itself costs ~8 ms of start-up (its enums)
from collections.abc import Iterable, Iterator, Mapping

from wharf.client import wire
from wharf.client.hosts import Endpoint
from wharf.core.apiversion import API_VERSION, version_tuple
from wharf.core.errors import Unavailable, WharfError, error_for_status
from wharf.lib import jsoncodec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO

MAX_API_VERSION = API_VERSION
USER_AGENT = "wharf-cli/0.1.0"
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

if TYPE_CHECKING:
    Params = Mapping[str, str | int | bool | None]
    Body = bytes | Iterable[bytes] | None


def quote(text: str, safe: str = "") -> str:
    """Percent-encode ``text`` for a URL (``urllib.parse.quote`` without importing it)."""
    allowed = _UNRESERVED | frozenset(safe.encode())
    return "".join(chr(b) if b in allowed else f"%{b:02X}" for b in text.encode())


def encode_query(params: Params | None) -> str:
    """``?a=1&b=x`` for the non-None params; booleans as ``1``/``0`` like docker's client."""
    if not params:
        return ""
    pairs = []
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "1" if value else "0"
        pairs.append(f"{quote(name)}={quote(str(value))}")
    return "?" + "&".join(pairs) if pairs else ""


def _version_or_zero(version: str) -> tuple[int, ...]:
    try:
        return version_tuple(version)
    except ValueError:
        return (0,)


def negotiate(server_version: str) -> str:
    """The version to speak with a server announcing ``server_version``."""
    if not server_version:
        return MAX_API_VERSION
    if _version_or_zero(server_version) < version_tuple(MAX_API_VERSION):
        return server_version
    return MAX_API_VERSION


class StreamTruncated(WharfError):
    """A streamed answer (progress, events) cut off before its end (the daemon went away)."""


class ConnectionFailed(Unavailable):
    """The daemon could not be reached (docker's "Cannot connect to the Docker daemon")."""


class Connection:
    __slots__ = ("reader", "sock")

    def __init__(self, sock: _socket.socket, reader: BinaryIO) -> None:
        self.sock = sock
        self.reader = reader

    def close(self) -> None:
        try:
            self.reader.close()
        finally:
            self.sock.close()


class HijackedStream:
    """A connection turned into a raw stream: read from ``response``, write to ``sock``."""

    __slots__ = ("response", "sock")

    def __init__(self, sock: _socket.socket, response: wire.Response) -> None:
        self.sock = sock
        self.response = response

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close_write(self) -> None:
        wire.half_close(self.sock)

    def shut_down(self) -> None:
        """End both directions now (a reader blocked on the stream sees its end)."""
        try:
            self.sock.shutdown(_socket.SHUT_RDWR)
        except OSError:  # already closed
            return

    def read_some(self) -> bytes:
        return self.response.read_some()

    def close(self) -> None:
        try:
            self.response.reader.close()
        finally:
            self.sock.close()


class Pending:
    """A request sent on its own connection whose response is read later (``wait``)."""

    __slots__ = ("conn", "method", "response")

    def __init__(self, conn: Connection, method: str) -> None:
        self.conn = conn
        self.method = method
        self.response: wire.Response | None = None


MAX_IDLE_CONNECTIONS = 8


class Transport:
    """HTTP/1.1 to one daemon endpoint."""

    def __init__(self, endpoint: Endpoint, api_version: str | None = None,
                 connect_timeout: float = 30.0) -> None:
        self.endpoint = endpoint
        self._version = api_version
        # keep-alive connections ready for reuse; list.pop/append are atomic under the GIL, so
        # commands that fan out over threads (rm, stop, kill of many) share them safely
        self._idle: list[Connection] = []
        self._connect_timeout = connect_timeout
        self._owners: dict[int, Connection] = {}  # responses being read → their connection

    # -- connections -------------------------------------------------------------------------
    def _connect(self) -> Connection:
        ep = self.endpoint
        try:
            sock = self._connect_unix(ep.path) if ep.scheme == "unix" else self._connect_tcp()
        except OSError as exc:
            raise self._cannot_connect(exc) from exc
        sock.settimeout(None)
        return Connection(sock, wire.buffered_reader(sock))

    def _connect_unix(self, path: str) -> _socket.socket:
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.settimeout(self._connect_timeout)
            sock.connect(path)
        except OSError:
            sock.close()
            raise
        return sock

    def _connect_tcp(self) -> _socket.socket:
        import socket

        ep = self.endpoint
        sock = socket.create_connection((ep.host, ep.port), self._connect_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ep.tls is not None:
            from wharf.client.tls import wrap_socket

            sock = wrap_socket(sock, ep.host, ep.tls)
        return sock

    def _cannot_connect(self, exc: OSError) -> ConnectionFailed:
        where = self.endpoint.original or self.endpoint.path
        return ConnectionFailed(f"Cannot connect to the wharf daemon at {where}. "
                           "Is the wharf daemon running?")

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()

    # -- version negotiation -----------------------------------------------------------------
    @property
    def api_version(self) -> str:
        if self._version is None:
            self._version = negotiate(self._ping_version())
        return self._version

    def _ping_version(self) -> str:
        """``Api-Version`` from ``HEAD /_ping`` (``GET`` when HEAD is refused), like docker."""
        for method in ("HEAD", "GET"):
            response = self._send(method, "/_ping", None, {})
            response.read()
            self._release(response)
            if response.status < 400 or response.header("api-version"):
                return response.header("api-version")
        return ""

    def url(self, path: str, params: Params | None = None) -> str:
        return f"/v{self.api_version}{path}{encode_query(params)}"

    # -- requests ----------------------------------------------------------------------------
    def request(self, method: str, path: str, params: Params | None = None, body: Body = None,
                headers: Mapping[str, str] | None = None, versioned: bool = True) -> wire.Response:
        """Send one request; return the response with its body unread. Raises on status >= 400."""
        target = self.url(path, params) if versioned else path + encode_query(params)
        response = self._send(method, target, body, dict(headers or {}))
        if response.status >= 400:
            raise self._error(response)
        return response

    def finish(self, response: wire.Response) -> bytes:
        """Read the rest of the body and give the connection back for reuse."""
        data = response.read()
        self._release(response)
        return data

    def call(self, method: str, path: str, params: Params | None = None, body: Body = None,
             headers: Mapping[str, str] | None = None) -> bytes:
        return self.finish(self.request(method, path, params, body, headers))

    def call_json(self, method: str, path: str, params: Params | None = None,
                  payload: Any = None) -> Any:
        """Send ``payload`` as JSON (when given) and decode the JSON answer (None when empty)."""
        body = None if payload is None else jsoncodec.dumps(payload).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        data = self.call(method, path, params, body, headers)
        return jsoncodec.loads(data) if data.strip() else None

    def stream_lines(self, method: str, path: str, params: Params | None = None,
                     body: Body = None,
                     headers: Mapping[str, str] | None = None) -> Iterator[Any]:
        """Decoded JSON objects of a JSON-lines stream (events, import progress)."""
        response = self.request(method, path, params, body, headers)
        try:
            for line in response.iter_lines():
                yield jsoncodec.loads(line)
        except (OSError, wire.ProtocolError) as exc:
            raise StreamTruncated("unexpected EOF") from exc
        finally:
            self._discard(response)

    def hijack(self, method: str, path: str, params: Params | None = None,
               payload: bytes | None = None) -> HijackedStream:
        """Request ``Upgrade: tcp``; after ``101`` (or a raw-stream 200) hand the socket over."""
        headers = {"Connection": "Upgrade", "Upgrade": "tcp"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        target = self.url(path, params)
        conn = self._connect()
        try:
            conn.sock.sendall(wire.encode_request(method, target, self.endpoint.http_host,
                                                  self._headers(headers), payload))
            response = wire.read_response_head(conn.reader, method)
        except (OSError, wire.ProtocolError) as exc:
            conn.close()
            raise WharfError(f"error during connect: {exc}") from exc
        if response.status >= 400:
            error = self._error(response)
            conn.close()
            raise error
        if response.status != 101 and not response.header("content-type").startswith(
                "application/vnd.docker"):
            conn.close()
            raise WharfError(f"unexpected response to an upgrade request: {response.status}")
        if response.status == 101:
            response._remaining = None
        return HijackedStream(conn.sock, response)

    def begin(self, method: str, path: str, params: Params | None = None,
              head_timeout: float = 0.5) -> Pending:
        """Send a request on a fresh connection and wait briefly for the response head.

        Docker's daemon answers ``POST /containers/{id}/wait`` with its headers at once, which
        tells the client the wait is registered; ``run`` relies on that before ``start``.
        """
        import select

        conn = self._connect()
        try:
            conn.sock.sendall(wire.encode_request(method, self.url(path, params),
                                                  self.endpoint.http_host, self._headers({}),
                                                  None))
        except OSError as exc:
            conn.close()
            raise self._cannot_connect(exc) from exc
        pending = Pending(conn, method)
        readable, _, _ = select.select([conn.sock], [], [], head_timeout)
        if readable:
            self._pending_head(pending)
        return pending

    def complete(self, pending: Pending) -> bytes:
        """The body of a request started with ``begin`` (blocks until the daemon answers)."""
        try:
            response = self._pending_head(pending)
            return response.read()
        except (OSError, wire.ProtocolError) as exc:
            raise WharfError(f"error waiting for the daemon: {exc}") from exc
        finally:
            pending.conn.close()

    def _pending_head(self, pending: Pending) -> wire.Response:
        if pending.response is None:
            pending.response = wire.read_response_head(pending.conn.reader, pending.method)
            if pending.response.status >= 400:
                data = pending.response.read()
                pending.conn.close()
                raise error_for_status(pending.response.status,
                                       error_message(data, pending.response.status))
        return pending.response

    # -- internals ---------------------------------------------------------------------------
    def _headers(self, extra: Mapping[str, str]) -> dict[str, str]:
        return {"User-Agent": USER_AGENT, **extra}

    def _send(self, method: str, target: str, body: Body, headers: dict[str, str]
              ) -> wire.Response:
        try:
            conn, reused = self._idle.pop(), True
        except IndexError:
            conn, reused = self._connect(), False
        try:
            self._write_request(conn, method, target, body, headers)
            response = wire.read_response_head(conn.reader, method)
        except (OSError, wire.ProtocolError) as exc:
            conn.close()
            if reused and isinstance(body, bytes | None):  # a stale keep-alive connection
                return self._send(method, target, body, headers)
            if isinstance(exc, OSError):
                raise self._cannot_connect(exc) from exc
            raise WharfError(f"error during connect: {exc}") from exc
        self._owners[id(response)] = conn
        return response

    def _write_request(self, conn: Connection, method: str, target: str, body: Body,
                       headers: dict[str, str]) -> None:
        host = self.endpoint.http_host
        if body is None or isinstance(body, bytes):
            conn.sock.sendall(wire.encode_request(method, target, host, self._headers(headers),
                                                  body))
            return
        conn.sock.sendall(wire.encode_request(method, target, host, self._headers(headers),
                                              None, chunked=True))
        for piece in body:
            if piece:
                conn.sock.sendall(wire.encode_chunk(piece))
        conn.sock.sendall(wire.encode_chunk(b""))

    def _release(self, response: wire.Response) -> None:
        conn = self._owners.pop(id(response), None)
        if conn is None:
            return
        if wire.keeps_alive(response) and len(self._idle) < MAX_IDLE_CONNECTIONS:
            self._idle.append(conn)
        else:
            conn.close()

    def _discard(self, response: wire.Response) -> None:
        conn = self._owners.pop(id(response), None)
        if conn is not None:
            conn.close()

    def _error(self, response: wire.Response) -> WharfError:
        data = response.read() if response.status != 101 else b""
        self._release(response)
        return error_for_status(response.status, error_message(data, response.status))


def error_message(body: bytes, status: int) -> str:
    """Docker's ``{"message": ...}``, or the raw text when the body is not JSON."""
    text = body.decode("utf-8", "replace").strip()
    if text.startswith("{"):
        try:
            decoded = jsoncodec.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict) and isinstance(decoded.get("message"), str):
            return str(decoded["message"])
    return text or f"request failed with status {status}"
