"""IPAM config checks: typed entries out, the Engine's fault texts for bad input."""

from __future__ import annotations

import ipaddress

import pytest

from wharf.core.errors import Forbidden, InvalidParameter
from wharf.network.ipam import (
    POOL_OVERLAP,
    RawIpamEntry,
    check_no_overlap,
    parse_ipam_config,
)


def _fault(entry: RawIpamEntry, *, enable_ipv6: bool = True) -> str:
    with pytest.raises(InvalidParameter) as caught:
        parse_ipam_config([entry], enable_ipv6=enable_ipv6)
    return caught.value.message


def test_a_full_entry_is_typed() -> None:
    raw = RawIpamEntry("10.0.0.0/8", "10.10.0.0/16", "10.10.0.1", {"router": "10.0.0.5"})
    [entry] = parse_ipam_config([raw], enable_ipv6=False)
    assert entry.subnet == ipaddress.IPv4Network("10.0.0.0/8")
    assert entry.ip_range == ipaddress.IPv4Network("10.10.0.0/16")
    assert entry.gateway == ipaddress.IPv4Address("10.10.0.1")
    assert entry.aux_addresses == {"router": ipaddress.IPv4Address("10.0.0.5")}
    assert entry.version == 4


def test_no_entries_is_valid() -> None:
    assert parse_ipam_config([], enable_ipv6=False) == []


def test_ipv4_and_ipv6_entries_together() -> None:
    entries = [RawIpamEntry("10.1.0.0/24"), RawIpamEntry("fd00:1::/64", gateway="fd00:1::1")]
    parsed = parse_ipam_config(entries, enable_ipv6=True)
    assert [e.version for e in parsed] == [4, 6]
    assert parsed[1].gateway == ipaddress.IPv6Address("fd00:1::1")


@pytest.mark.parametrize("subnet", ["foobar", "10.0.0.0", "10.0.0.0/33", "10.0.0.0/255.0.0.0",
                                    "10.0.0/24", "", "10.0.0.0/08", "fe80::%eth0/64"])
def test_a_malformed_subnet(subnet: str) -> None:
    assert _fault(RawIpamEntry(subnet)) == (
        f"invalid network config:\ninvalid subnet {subnet}: invalid CIDR block notation"
    )


def test_a_subnet_with_host_bits() -> None:
    assert _fault(RawIpamEntry("10.10.10.0/8")) == (
        "invalid network config:\ninvalid subnet 10.10.10.0/8: it should be 10.0.0.0/8"
    )


def test_ipv6_subnet_refused_when_ipv6_is_off() -> None:
    assert _fault(RawIpamEntry("2001:db8::/32", gateway="bad"), enable_ipv6=False) == (
        "invalid network config:\n"
        "invalid subnet 2001:db8::/32: IPv6 has not been enabled for this network"
    )


def test_gateway_outside_the_subnet() -> None:
    assert _fault(RawIpamEntry("10.0.0.0/24", gateway="10.1.0.1")) == (
        "invalid network config:\n"
        "invalid gateway 10.1.0.1: parent subnet 10.0.0.0/24 doesn't contain this address"
    )


def test_every_fault_is_listed() -> None:
    raw = RawIpamEntry("10.0.0.0/8", "192.168.0.1/24", "192.168.0.1",
                       {"DefaultGatewayIPv4": "192.168.0.1"})
    assert _fault(raw) == "\n".join([
        "invalid network config:",
        "* invalid ip-range 192.168.0.1/24: it should be 192.168.0.0/24",
        "* invalid ip-range 192.168.0.1/24: parent subnet 10.0.0.0/8 doesn't contain ip-range",
        "* invalid gateway 192.168.0.1: parent subnet 10.0.0.0/8 doesn't contain this address",
        "* invalid auxiliary address DefaultGatewayIPv4: parent subnet 10.0.0.0/8 doesn't "
        "contain this address",
    ])


def test_family_mismatch() -> None:
    raw = RawIpamEntry("10.10.10.0/24", "2001:db8::/32", "2001:db8::1", {"a": "2001:db8::1"})
    assert _fault(raw).splitlines()[1:] == [
        "* invalid ip-range 2001:db8::/32: parent subnet is an IPv4 block",
        "* invalid gateway 2001:db8::1: parent subnet is an IPv4 block",
        "* invalid auxiliary address a: parent subnet is an IPv4 block",
    ]


def test_garbage_range_and_addresses() -> None:
    raw = RawIpamEntry("10.10.10.0/24", "foobar", "1001.10.5.3", {"x": "dummy"})
    assert _fault(raw).splitlines()[1:] == [
        "* invalid ip-range foobar: invalid CIDR block notation",
        "* invalid gateway 1001.10.5.3: invalid address",
        "* invalid auxiliary address x: invalid address",
    ]


def test_a_range_bigger_than_its_subnet() -> None:
    assert _fault(RawIpamEntry("10.10.10.0/24", "10.0.0.0/8")) == (
        "invalid network config:\n"
        "invalid ip-range 10.0.0.0/8: CIDR block is bigger than its parent subnet 10.10.10.0/24"
    )


def test_faults_of_several_entries_are_joined() -> None:
    entries = [RawIpamEntry("nope"), RawIpamEntry("10.0.0.0/24", gateway="10.0.1.1")]
    with pytest.raises(InvalidParameter) as caught:
        parse_ipam_config(entries, enable_ipv6=False)
    assert caught.value.message.splitlines() == [
        "invalid network config:",
        "* invalid subnet nope: invalid CIDR block notation",
        "* invalid gateway 10.0.1.1: parent subnet 10.0.0.0/24 doesn't contain this address",
    ]
    assert caught.value.status == 400


@pytest.mark.parametrize("existing", ["10.0.0.0/16", "10.0.5.0/24", "10.0.0.0/8"])
def test_an_overlapping_subnet_is_refused(existing: str) -> None:
    with pytest.raises(Forbidden) as caught:
        check_no_overlap(ipaddress.ip_network("10.0.0.0/16"), [ipaddress.ip_network(existing)])
    assert caught.value.message == POOL_OVERLAP == (
        "Pool overlaps with other one on this address space"
    )


def test_neighbours_and_other_families_do_not_overlap() -> None:
    existing = [ipaddress.ip_network("10.1.0.0/16"), ipaddress.ip_network("::/0")]
    check_no_overlap(ipaddress.ip_network("10.0.0.0/16"), existing)
