"""Which base URLs serve a registry: mirrors, the upstream, https or plain http.

A registry is named by the domain of a reference (``docker.io``, ``127.0.0.1:5000``). Pulls try
its mirrors first, in order, then the upstream; pushes go to the upstream only. An insecure
registry (listed in ``insecure_registries`` by host, host:port or CIDR, or on loopback) is tried
over https without certificate checks first, then over plain http, as Docker does.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from wharf.core.errors import InvalidParameter

__all__ = [
    "DOCKER_HUB_API",
    "Endpoint",
    "RegistryConfig",
    "api_host",
    "check_config",
    "endpoints_for",
    "is_insecure",
    "normalize_server_address",
    "search_endpoints",
]

DOCKER_HUB_DOMAIN = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
DOCKER_HUB_INDEX = "index.docker.io"
DEFAULT_CERTS_DIR = Path("/etc/docker/certs.d")


@dataclass(frozen=True)
class RegistryConfig:
    """Settings of a RegistryClient (daemon.json's registry keys plus timeouts).

    ``mirrors`` maps a registry domain (``docker.io``, ``127.0.0.1:5000``) to mirror base URLs
    (``http://127.0.0.1:5001``); a URL without a scheme is taken as https.
    """

    mirrors: Mapping[str, Sequence[str]] = field(default_factory=dict)
    insecure_registries: Sequence[str] = ()
    certs_dir: Path = DEFAULT_CERTS_DIR
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    user_agent: str = "wharf"


@dataclass(frozen=True)
class Endpoint:
    """One base URL of a registry (``https://host:port``), and how to speak to it."""

    scheme: str
    host: str
    verify_tls: bool = True
    is_mirror: bool = False

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}"

    def url(self, path: str) -> str:
        return self.base_url + path


def api_host(domain: str) -> str:
    """The host:port to contact for a registry domain (``docker.io`` → its API host)."""
    return DOCKER_HUB_API if domain in (DOCKER_HUB_DOMAIN, DOCKER_HUB_INDEX) else domain


def normalize_server_address(address: str) -> str:
    """A login server address (``https://index.docker.io/v1/``, ``http://h:5000``) → domain."""
    text = address.strip()
    if not text:
        return DOCKER_HUB_DOMAIN
    if "://" not in text:
        text = "//" + text
    host = urlsplit(text).netloc
    if not host:
        raise InvalidParameter(f"invalid registry address: {address!r}")
    if host in (DOCKER_HUB_INDEX, DOCKER_HUB_API):
        return DOCKER_HUB_DOMAIN
    return host


def _split_host_port(host: str) -> tuple[str, str]:
    if host.startswith("["):
        bracket = host.find("]")
        return host[1:bracket], host[bracket + 2 :]
    name, _, port = host.partition(":")
    return name, port


def _is_loopback(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _matches(host: str, entry: str) -> bool:
    name, _ = _split_host_port(host)
    entry = entry.strip().removeprefix("http://").removeprefix("https://").rstrip("/")
    if entry in (host, name):
        return True
    try:
        network = ipaddress.ip_network(entry, strict=False)
        return ipaddress.ip_address(name) in network
    except ValueError:
        return False


def is_insecure(host: str, insecure_registries: Sequence[str]) -> bool:
    """Loopback hosts, and hosts listed by name, host:port or CIDR, may use plain http."""
    name, _ = _split_host_port(host)
    return _is_loopback(name) or any(_matches(host, entry) for entry in insecure_registries)


def _mirror_endpoint(url: str, insecure_registries: Sequence[str]) -> Endpoint:
    text = url.strip().rstrip("/")
    parts = urlsplit(text if "://" in text else "https://" + text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise InvalidParameter(f"invalid registry mirror: {url!r}")
    verify = not is_insecure(parts.netloc, insecure_registries)
    return Endpoint(parts.scheme, parts.netloc, verify_tls=verify, is_mirror=True)


def _upstream_endpoints(domain: str, insecure_registries: Sequence[str]) -> list[Endpoint]:
    host = api_host(domain)
    if not is_insecure(host, insecure_registries):
        return [Endpoint("https", host)]
    return [Endpoint("https", host, verify_tls=False), Endpoint("http", host)]


def check_config(config: RegistryConfig) -> None:
    """Refuse a malformed mirror URL up front (InvalidParameter), not at the first pull."""
    for mirrors in config.mirrors.values():
        for url in mirrors:
            _mirror_endpoint(url, config.insecure_registries)


def search_endpoints(domain: str, config: RegistryConfig) -> list[Endpoint]:
    """Where Docker's search API lives: the registry itself (Docker Hub: its index host)."""
    if domain in (DOCKER_HUB_DOMAIN, DOCKER_HUB_INDEX):
        return [Endpoint("https", DOCKER_HUB_INDEX)]
    return _upstream_endpoints(domain, config.insecure_registries)


def endpoints_for(domain: str, config: RegistryConfig, *, pull: bool) -> list[Endpoint]:
    """The endpoints to try, in order, for a registry domain."""
    mirrors = config.mirrors.get(domain, ()) if pull else ()
    if domain == DOCKER_HUB_INDEX and pull:
        mirrors = config.mirrors.get(DOCKER_HUB_DOMAIN, ())
    found = [_mirror_endpoint(url, config.insecure_registries) for url in mirrors]
    return found + _upstream_endpoints(domain, config.insecure_registries)
