"""HTTP to registries over urllib3: a pool per endpoint, timeouts, TLS as Docker sets it up.

TLS: the system CAs plus ``<certs_dir>/<host>/*.crt``; a client certificate from
``<host>/*.cert`` with its ``*.key`` (Docker's ``/etc/docker/certs.d`` layout). Redirects are
followed here (at most five), dropping ``Authorization`` when the host changes, so a token
never leaks to a storage backend. Transport failures become ``RemoteFailure`` naming the URL as
Docker does (``Get "http://…/v2/": dial tcp …: connect: connection refused``).
"""

from __future__ import annotations

import ssl
import threading
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
from wharf.registry.client.endpoints import Endpoint, RegistryConfig

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
# Skipping verification is what an insecure registry means (configured, or on loopback); the
# daemon must not log a warning per request for it.
warnings.filterwarnings("ignore", category=InsecureRequestWarning)
Body = bytes | IO[bytes] | Iterable[bytes] | None
Response = urllib3.BaseHTTPResponse


SMALL_BODY = 64 * 1024


def read_body(response: Response, limit: int, what: str) -> bytes:
    """The whole body (as sent: never content-decoded), refusing more than ``limit`` bytes;
    the connection goes back to its pool."""
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > limit:
        response.close()
        raise RemoteFailure(f"{what} is too large: {length} bytes (limit {limit})")
    try:
        data = response.read(limit + 1, decode_content=False)
    except (HTTPError, OSError) as error:
        response.close()
        raise RemoteFailure(f"reading {what}: {error}") from error
    if len(data) > limit:
        response.close()
        raise RemoteFailure(f"{what} is too large (limit {limit} bytes)")
    response.release_conn()
    return data


def finish(response: Response) -> None:
    """Done with a response: read its small body so the connection can be reused, or close
    the connection when the body is large or broken."""
    try:
        data = response.read(SMALL_BODY + 1, decode_content=False)
    except (HTTPError, OSError):
        response.close()
        return
    if len(data) > SMALL_BODY:
        response.close()
    else:
        response.release_conn()


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
    if host_dir.is_dir():
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

    def _pool(self, endpoint: Endpoint) -> urllib3.PoolManager:
        with self._lock:
            pool = self._pools.get(endpoint)
            if pool is None:
                context = None
                if endpoint.scheme == "https":
                    context = _ssl_context(endpoint, self._config.certs_dir)
                pool = urllib3.PoolManager(
                    num_pools=4, maxsize=8, retries=False, ssl_context=context
                )
                self._pools[endpoint] = pool
            return pool

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
        or a ``BlobStream``)."""
        sent = {"User-Agent": self._config.user_agent, **headers}
        origin = urlsplit(url).netloc
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send(endpoint, method, url, sent, body)
            location = response.headers.get("Location")
            if response.status not in (301, 302, 303, 307, 308) or not location or body:
                return response
            finish(response)
            url = urljoin(url, location)
            if urlsplit(url).netloc != origin:
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
        pool = (
            self._pool(endpoint)
            if urlsplit(url).netloc == endpoint.host
            else self._pool(
                Endpoint(urlsplit(url).scheme, urlsplit(url).netloc, endpoint.verify_tls)
            )
        )
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
