"""Where the daemon is and how to reach it: host resolution and TLS settings, as docker does.

Order for the address: ``-H/--host``, then ``WHARF_HOST``, then ``DOCKER_HOST``, then the
default socket. TLS follows docker's flags and variables: ``--tlsverify`` or ``DOCKER_TLS_VERIFY``
(any non-empty value) verifies the daemon against ``ca.pem``; ``--tls`` alone encrypts without
verifying; certificates default to ``DOCKER_CERT_PATH`` or ``~/.docker``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from wharf.core.errors import InvalidParameter

DEFAULT_HOST = "unix:///run/wharf/wharf.sock"
DEFAULT_TCP_PORT = 2375
DEFAULT_TLS_PORT = 2376


class TLSSettings:
    __slots__ = ("ca_file", "cert_file", "key_file", "verify")

    def __init__(self, verify: bool, ca_file: str | None, cert_file: str | None,
                 key_file: str | None) -> None:
        self.verify = verify
        self.ca_file = ca_file
        self.cert_file = cert_file
        self.key_file = key_file

    def __repr__(self) -> str:
        return f"TLSSettings(verify={self.verify}, ca_file={self.ca_file!r})"


class Endpoint:
    """A parsed daemon address: ``scheme`` is ``unix`` (``path``) or ``tcp`` (``host:port``).

    A slotted class, not a dataclass: ``dataclasses`` costs ~10 ms of CLI start-up.
    """

    __slots__ = ("host", "original", "path", "port", "scheme", "tls")

    def __init__(self, scheme: str, path: str = "", host: str = "", port: int = 0,
                 tls: TLSSettings | None = None, original: str = "") -> None:
        self.scheme = scheme
        self.path = path
        self.host = host
        self.port = port
        self.tls = tls
        self.original = original

    def __repr__(self) -> str:
        return f"Endpoint({self.original or self.path!r})"

    @property
    def http_host(self) -> str:
        """The value of the Host header (docker sends ``api.moby.localhost`` over sockets)."""
        return f"{self.host}:{self.port}" if self.scheme == "tcp" else "api.moby.localhost"


def resolve_host(flag: str | None, env: Mapping[str, str]) -> str:
    """The address the CLI should use."""
    for candidate in (flag, env.get("WHARF_HOST"), env.get("DOCKER_HOST")):
        if candidate:
            return candidate
    return DEFAULT_HOST


def tls_settings(env: Mapping[str, str], *, tls: bool = False, verify: bool | None = None,
                 ca: str | None = None, cert: str | None = None,
                 key: str | None = None) -> TLSSettings | None:
    """TLS settings from flags and docker's environment variables, or None for plain text."""
    if verify is None:
        verify = bool(env.get("DOCKER_TLS_VERIFY"))
    if not (tls or verify):
        return None
    cert_dir = env.get("DOCKER_CERT_PATH") or os.path.join(os.path.expanduser("~"), ".docker")
    return TLSSettings(
        verify=verify,
        ca_file=ca or os.path.join(cert_dir, "ca.pem"),
        cert_file=cert or os.path.join(cert_dir, "cert.pem"),
        key_file=key or os.path.join(cert_dir, "key.pem"),
    )


def parse_endpoint(address: str, tls: TLSSettings | None = None) -> Endpoint:
    """Parse ``unix:///path``, ``tcp://host:port`` (``host:port`` alone means tcp)."""
    if address.startswith("unix://"):
        path = address[len("unix://"):]
        if not path:
            raise InvalidParameter(f"invalid bind address ({address}): empty unix socket path")
        return Endpoint("unix", path=path, original=address)
    rest = address
    for prefix in ("tcp://", "http://", "https://"):
        if rest.startswith(prefix):
            if prefix == "https://" and tls is None:
                tls = TLSSettings(verify=False, ca_file=None, cert_file=None, key_file=None)
            rest = rest[len(prefix):]
            break
    else:
        if "://" in rest:
            raise InvalidParameter(f"Invalid bind address format: {address}")
    rest = rest.split("/", 1)[0]
    host, port = _split_host_port(rest, DEFAULT_TLS_PORT if tls else DEFAULT_TCP_PORT)
    return Endpoint("tcp", host=host or "localhost", port=port, tls=tls, original=address)


def _split_host_port(hostport: str, default_port: int) -> tuple[str, int]:
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif hostport.count(":") == 1:
        host, port_text = hostport.split(":")
    else:
        host, port_text = hostport, ""
    if not port_text:
        return host, default_port
    try:
        return host, int(port_text)
    except ValueError as exc:
        raise InvalidParameter(f"invalid bind address format: {hostport}") from exc
