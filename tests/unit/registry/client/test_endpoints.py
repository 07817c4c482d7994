"""Endpoint selection: mirrors, insecure registries, docker.io's API host."""

from __future__ import annotations

import pytest

from wharf.core.errors import InvalidParameter
from wharf.registry.client.endpoints import (
    Endpoint,
    RegistryConfig,
    endpoints_for,
    is_insecure,
    normalize_server_address,
)


def test_docker_hub_uses_its_api_host_over_verified_https() -> None:
    assert endpoints_for("docker.io", RegistryConfig(), pull=True) == [
        Endpoint("https", "registry-1.docker.io")
    ]


@pytest.mark.parametrize("host", ["localhost:5000", "127.0.0.1:5000", "127.9.9.9", "[::1]:5000"])
def test_loopback_is_insecure_by_default(host: str) -> None:
    assert is_insecure(host, [])
    assert endpoints_for(host, RegistryConfig(), pull=False) == [
        Endpoint("https", host, verify_tls=False),
        Endpoint("http", host),
    ]


@pytest.mark.parametrize(
    ("host", "entries", "expected"),
    [
        ("reg.example:5000", ["reg.example:5000"], True),
        ("reg.example:5000", ["reg.example"], True),
        ("10.1.2.3:5000", ["10.0.0.0/8"], True),
        ("10.1.2.3:5000", ["192.168.0.0/16"], False),
        ("reg.example", ["other.example"], False),
    ],
)
def test_insecure_by_name_host_port_or_cidr(host: str, entries: list[str], expected: bool) -> None:
    assert is_insecure(host, entries) is expected


def test_mirrors_come_first_for_pulls_only() -> None:
    config = RegistryConfig(mirrors={"reg.example": ["http://127.0.0.1:5001", "mirror.example"]})
    pulled = endpoints_for("reg.example", config, pull=True)
    assert pulled == [
        Endpoint("http", "127.0.0.1:5001", verify_tls=False, is_mirror=True),
        Endpoint("https", "mirror.example", is_mirror=True),
        Endpoint("https", "reg.example"),
    ]
    assert endpoints_for("reg.example", config, pull=False) == [Endpoint("https", "reg.example")]


def test_a_mirror_with_a_path_is_refused() -> None:
    config = RegistryConfig(mirrors={"docker.io": ["https://m.example/some/path"]})
    with pytest.raises(InvalidParameter):
        endpoints_for("docker.io", config, pull=True)


@pytest.mark.parametrize(
    ("address", "domain"),
    [
        ("https://index.docker.io/v1/", "docker.io"),
        ("", "docker.io"),
        ("http://127.0.0.1:5000", "127.0.0.1:5000"),
        ("127.0.0.1:5000", "127.0.0.1:5000"),
        ("reg.example/v2/", "reg.example"),
    ],
)
def test_login_server_addresses_normalize_to_domains(address: str, domain: str) -> None:
    assert normalize_server_address(address) == domain
