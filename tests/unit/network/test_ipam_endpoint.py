"""Requested container addresses (--ip, --ip6) checked against the network, as the Engine."""

from __future__ import annotations

import ipaddress

import pytest

from wharf.core.errors import InvalidParameter
from wharf.network.ipam_endpoint import (
    NOT_USER_CONFIGURED,
    NetworkSubnet,
    check_requested_addresses,
)

USER_V4 = NetworkSubnet(ipaddress.ip_network("10.5.0.0/16"), user_configured=True)
USER_V6 = NetworkSubnet(ipaddress.ip_network("fd00:5::/64"), user_configured=True)
POOL_V4 = NetworkSubnet(ipaddress.ip_network("172.18.0.0/16"), user_configured=False)


def _fault(ipv4: str, ipv6: str, subnets: list[NetworkSubnet]) -> list[str]:
    with pytest.raises(InvalidParameter) as caught:
        check_requested_addresses("test-net", ipv4, ipv6, subnets)
    head, *rest = caught.value.message.splitlines()
    assert head == "invalid config for network test-net: invalid endpoint settings:"
    return rest


def test_nothing_requested_is_fine_anywhere() -> None:
    got = check_requested_addresses("n", "", "", [POOL_V4])
    assert (got.ipv4, got.ipv6) == (None, None)


def test_addresses_in_user_subnets() -> None:
    got = check_requested_addresses("n", "10.5.1.2", "fd00:5::9", [USER_V4, USER_V6])
    assert got.ipv4 == ipaddress.IPv4Address("10.5.1.2")
    assert got.ipv6 == ipaddress.IPv6Address("fd00:5::9")


def test_an_ipv4_mapped_text_counts_as_ipv4() -> None:
    got = check_requested_addresses("n", "::ffff:10.5.0.9", "", [USER_V4])
    assert got.ipv4 == ipaddress.IPv4Address("10.5.0.9")


def test_a_network_from_the_pools_refuses_a_fixed_address() -> None:
    assert _fault("172.18.0.9", "", [POOL_V4]) == [NOT_USER_CONFIGURED]
    assert NOT_USER_CONFIGURED == (
        "user specified IP address is supported only when connecting to networks with user "
        "configured subnets"
    )


def test_an_address_outside_the_user_subnets() -> None:
    assert _fault("10.9.9.9", "", [USER_V4, POOL_V4]) == [
        "no configured subnet or ip-range contain the IP address 10.9.9.9"]


@pytest.mark.parametrize("text", ["10.0.0", "0.0.0.0", "fd00::1", "nope", "010.5.0.1"])
def test_malformed_ipv4(text: str) -> None:
    assert _fault(text, "", [USER_V4]) == [f"invalid IPv4 address: {text}"]


@pytest.mark.parametrize("text", ["10.5.0.1", "::", "::ffff:10.5.0.1", "fe80::1%eth0", "x"])
def test_malformed_ipv6(text: str) -> None:
    assert _fault("", text, [USER_V6]) == [f"invalid IPv6 address: {text}"]


def test_every_fault_is_listed() -> None:
    assert _fault("bad", "fd00:9::1", [USER_V4, USER_V6]) == [
        "* invalid IPv4 address: bad",
        "* no configured subnet or ip-range contain the IP address fd00:9::1",
    ]
