from __future__ import annotations

import pytest

from wharf.client.hosts import DEFAULT_HOST, parse_endpoint, resolve_host, tls_settings
from wharf.core.errors import InvalidParameter


def test_flag_wins_over_environment() -> None:
    env = {"WHARF_HOST": "unix:///w.sock", "DOCKER_HOST": "unix:///d.sock"}
    assert resolve_host("tcp://h:1", env) == "tcp://h:1"


def test_wharf_host_wins_over_docker_host() -> None:
    env = {"WHARF_HOST": "unix:///w.sock", "DOCKER_HOST": "unix:///d.sock"}
    assert resolve_host(None, env) == "unix:///w.sock"


def test_docker_host_then_default() -> None:
    assert resolve_host(None, {"DOCKER_HOST": "unix:///d.sock"}) == "unix:///d.sock"
    assert resolve_host(None, {"WHARF_HOST": ""}) == DEFAULT_HOST
    assert DEFAULT_HOST == "unix:///run/wharf/wharf.sock"


def test_parse_unix_and_tcp() -> None:
    unix = parse_endpoint("unix:///run/x.sock")
    assert (unix.scheme, unix.path) == ("unix", "/run/x.sock")
    tcp = parse_endpoint("tcp://10.0.0.1:2380")
    assert (tcp.scheme, tcp.host, tcp.port) == ("tcp", "10.0.0.1", 2380)
    assert tcp.http_host == "10.0.0.1:2380"
    assert parse_endpoint("tcp://example").port == 2375
    assert parse_endpoint("[::1]:99").host == "::1"


def test_tls_default_port_and_bad_addresses() -> None:
    settings = tls_settings({}, tls=True)
    assert settings is not None and settings.verify is False
    assert parse_endpoint("tcp://example", settings).port == 2376
    with pytest.raises(InvalidParameter):
        parse_endpoint("unix://")
    with pytest.raises(InvalidParameter):
        parse_endpoint("ssh://x")


def test_tls_from_docker_environment() -> None:
    assert tls_settings({}) is None
    settings = tls_settings({"DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": "/certs"})
    assert settings is not None and settings.verify
    assert settings.ca_file == "/certs/ca.pem"
    assert settings.cert_file == "/certs/cert.pem"
    assert settings.key_file == "/certs/key.pem"
    explicit = tls_settings({"DOCKER_CERT_PATH": "/certs"}, verify=True, ca="/my/ca.pem")
    assert explicit is not None and explicit.ca_file == "/my/ca.pem"
