"""HTTP to registries over urllib3: a pool per endpoint, timeouts, TLS as Docker sets it up.

TLS: the system CAs plus ``<certs_dir>/<host>/*.crt``; a client certificate from
``<host>/*.cert`` with its ``*.key`` (Docker's ``/etc/docker/certs.d`` layout). Redirects are
followed here (at most five), dropping ``Authorization`` when the host or scheme changes, so a token
never leaks to a storage backend. Transport failures become ``RemoteFailure`` naming the URL as
Docker does (``Get "http://…/v2/": dial tcp …: connect: connection refused``).
"""

from __future__ import annotations

import re
import ssl
import threading
import time
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    InsecureRequestWarning,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from wharf.core.errors import RemoteFailure
from wharf.registry.client.endpoints import Endpoint, RegistryConfig, is_insecure, origin
from wharf.registry.client.untrusted import header_int

__all__ = [
    "SMALL_BODY",
    "Body",
    "Response",
    "TlsFailure",
    "Transport",
    "describe_failure",
    "finish",
    "read_body",
]

MAX_REDIRECTS = 5
MAX_POOLS = 32
_HOST_DIR_RE = re.compile(r"(?!\.{1,2}(?::|$))[A-Za-z0-9._:\[\]-]+")  # host[:port], not . or ..
# Skipping verification is what an insecure registry means (configured, or on loopback); the
# daemon must not log a warning per request for it.
warnings.filterwarnings("ignore", category=InsecureRequestWarning)
Body = bytes | IO[bytes] | Iterable[bytes] | None
Response = urllib3.BaseHTTPResponse


SMALL_BODY = 64 * 1024
READ_PIECE = 64 * 1024
BODY_DEADLINE = 300.0  # a whole manifest, token, error, search or tag-list body
FINISH_DEADLINE = 10.0  # the rest of a body nobody needs


def read_body(response: Response, limit: int, what: str, *, deadline: float | None = None) -> bytes:
    """The whole body (as sent: never content-decoded), refusing more than ``limit`` bytes or
    taking more than ``deadline`` seconds in all (each read also has the read timeout: a server
    dripping a byte a minute is cut here); the connection goes back to its pool."""
    length = header_int(response.headers.get("Content-Length"))
    if length is not None and length > limit:
        response.close()
        raise RemoteFailure(f"{what} is too large: {length} bytes (limit {limit})")
    deadline = BODY_DEADLINE if deadline is None else deadline
    ends = time.monotonic() + deadline
    parts: list[bytes] = []
    received = 0
    try:
        while piece := response.read1(min(READ_PIECE, limit + 1 - received), decode_content=False):
            parts.append(piece)
            received += len(piece)
            if received > limit:
                response.close()
                raise RemoteFailure(f"{what} is too large (limit {limit} bytes)")
            if time.monotonic() > ends:
                response.close()
                raise RemoteFailure(f"reading {what}: not received within {deadline:g}s")
    except (HTTPError, OSError) as error:
        response.close()
        raise RemoteFailure(f"reading {what}: {error}") from error
    response.release_conn()
    return b"".join(parts)


def finish(response: Response) -> None:
    """Done with a response: read its small body so the connection can be reused, or close
    the connection when the body is large, broken or slower than FINISH_DEADLINE."""
    try:
        read_body(response, SMALL_BODY, "response", deadline=FINISH_DEADLINE)
    except RemoteFailure:
        response.close()


class TlsFailure(RemoteFailure):
    """The TLS handshake failed (the peer may speak plain http)."""


def describe_failure(method: str, url: str, error: Exception) -> str:
    """Docker's shape: ``Get "url": <what went wrong>``."""
    parts = urlsplit(url)
    reason: str
    if isinstance(error, NameResolutionError):
        reason = f"dial tcp: lookup {parts.hostname}: no such host"
    elif isinstance(error, NewConnectionError | ConnectTimeoutError) or "refused" in str(error):
        cause = "connection refused" if "refused" in str(error) else "i/o timeout"
        reason = f"dial tcp {parts.netloc}: connect: {cause}"
    elif isinstance(error, ReadTimeoutError):
        reason = "net/http: timeout awaiting response headers (read timeout)"
    elif isinstance(error, SSLError):
        reason = f"tls: {error}"
    else:
        reason = str(error) or type(error).__name__
    return f'{method.capitalize()} "{url}": {reason}'


def _ssl_context(endpoint: Endpoint, certs_dir: Path) -> ssl.SSLContext:
    if not endpoint.verify_tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context = ssl.create_default_context()
    host_dir = certs_dir / endpoint.host
    # a host a registry named (a redirect to "https://../") must not pick another directory
    if _HOST_DIR_RE.fullmatch(endpoint.host) and host_dir.is_dir():
        for ca in sorted(host_dir.glob("*.crt")):
            context.load_verify_locations(cafile=str(ca))
        for cert in sorted(host_dir.glob("*.cert")):
            context.load_cert_chain(str(cert), str(cert.with_suffix(".key")))
    return context


class Transport:
    """Thread-safe; one urllib3 pool manager per endpoint."""

    def __init__(self, config: RegistryConfig) -> None:
        self._config = config
        self._timeout = urllib3.Timeout(connect=config.connect_timeout, read=config.read_timeout)
        self._pools: dict[Endpoint, urllib3.PoolManager] = {}
        self._lock = threading.Lock()

    def endpoint_for(self, url: str, base: Endpoint) -> Endpoint:
        """How to reach ``url``, which ``base``'s registry named (a token realm, a redirect,
        a Link or upload Location): as ``base`` on its host; on another host with TLS verified
        unless that host is insecure itself (loopback or listed), so an insecure registry does
        not switch verification off for the hosts it points at."""
        parts = urlsplit(url)
        if parts.netloc.lower() == base.host.lower():
            return (
                base
                if parts.scheme == base.scheme
                else Endpoint(parts.scheme, parts.netloc, base.verify_tls)
            )
        insecure = is_insecure(parts.netloc, self._config.insecure_registries)
        return Endpoint(parts.scheme, parts.netloc, verify_tls=not insecure)

    def _pool(self, endpoint: Endpoint) -> urllib3.PoolManager:
        with self._lock:
            pool = self._pools.pop(endpoint, None)
            if pool is None:
                context = None
                if endpoint.scheme == "https":
                    context = _ssl_context(endpoint, self._config.certs_dir)
                pool = urllib3.PoolManager(
                    num_pools=4, maxsize=8, retries=False, ssl_context=context
                )
            self._pools[endpoint] = pool  # most recently used last
            while len(self._pools) > MAX_POOLS:  # hosts a registry pointed at: keep a few
                self._pools.pop(next(iter(self._pools))).clear()
            return pool

    @property
    def pool_count(self) -> int:
        with self._lock:
            return len(self._pools)

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.clear()

    def request(
        self,
        endpoint: Endpoint,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: Body = None,
    ) -> Response:
        """One request, redirects followed; the body is left unread (``read_body``, ``finish``,
        or a ``BlobStream``). ``response.url`` is the URL that answered."""
        sent = {"User-Agent": self._config.user_agent, **headers}
        first = origin(url)
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send(endpoint, method, url, sent, body)
            response.url = url  # where the answer came from, after any redirect
            location = response.headers.get("Location")
            if response.status not in (301, 302, 303, 307, 308) or not location or body:
                return response
            finish(response)
            url = urljoin(url, location)
            if origin(url) != first:  # another host, or https -> http on the same one
                sent = {k: v for k, v in sent.items() if k.lower() != "authorization"}
            method = "GET" if method != "HEAD" else "HEAD"
        raise RemoteFailure(
            f'{method.capitalize()} "{url}": stopped after {MAX_REDIRECTS} redirects'
        )

    def _send(
        self,
        endpoint: Endpoint,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: Body,
    ) -> Response:
        pool = self._pool(self.endpoint_for(url, endpoint))
        try:
            return pool.request(
                method,
                url,
                headers=dict(headers),
                body=body,  # type: ignore[arg-type]
                timeout=self._timeout,
                redirect=False,
                preload_content=False,
            )
        except SSLError as error:
            raise TlsFailure(describe_failure(method, url, error)) from error
        except (HTTPError, ProtocolError, OSError) as error:
            raise RemoteFailure(describe_failure(method, url, error)) from error
