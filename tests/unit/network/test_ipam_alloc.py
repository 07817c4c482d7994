"""Per-network address allocation: order, requested addresses, release, saved state, MACs."""

from __future__ import annotations

import ipaddress
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wharf.core.errors import Forbidden, InvalidParameter, WharfError
from wharf.network.ipam import IPAddress, IpamEntry, RawIpamEntry, parse_ipam_config
from wharf.network.ipam_alloc import NetworkAddresses, SubnetAddresses, mac_from_ipv4


def _ip(text: str) -> IPAddress:
    return ipaddress.ip_address(text)


def _entry(subnet: str, ip_range: str = "", gateway: str = "",
           aux: dict[str, str] | None = None) -> IpamEntry:
    raw = RawIpamEntry(subnet, ip_range, gateway, aux or {})
    [entry] = parse_ipam_config([raw], enable_ipv6=True)
    return entry


def _network(*entries: IpamEntry) -> NetworkAddresses:
    return NetworkAddresses("test-net", "0123456789ab", entries)


def test_gateway_defaults_to_the_first_address_then_containers_follow() -> None:
    net = _network(_entry("172.18.0.0/16"))
    assert net.gateways() == [_ip("172.18.0.1")]
    assert net.allocate(4) == _ip("172.18.0.2")
    assert net.allocate(4) == _ip("172.18.0.3")


def test_gateway_network_and_broadcast_and_aux_are_skipped() -> None:
    entry = _entry("10.0.0.0/29", gateway="10.0.0.2", aux={"printer": "10.0.0.1"})
    net = _network(entry)
    got = [net.allocate(4) for _ in range(4)]
    assert got == [_ip("10.0.0.3"), _ip("10.0.0.4"), _ip("10.0.0.5"), _ip("10.0.0.6")]


def test_exhaustion_names_the_network_as_docker() -> None:
    net = _network(_entry("10.0.0.0/30"))
    assert net.allocate(4) == _ip("10.0.0.2")
    with pytest.raises(WharfError) as caught:
        net.allocate(4)
    assert caught.value.message == (
        "no available IPv4 addresses on this network's address pools: test-net (0123456789ab)"
    )
    assert caught.value.status == 500


def test_the_lowest_released_address_comes_back_first() -> None:
    net = _network(_entry("10.0.0.0/24"))
    first, second, third = (net.allocate(4) for _ in range(3))
    net.release(second)
    net.release(first)
    assert net.allocate(4) == first
    assert net.allocate(4) == second
    assert net.allocate(4) == _ip("10.0.0.5")
    assert third == _ip("10.0.0.4")


def test_dynamic_addresses_come_from_the_ip_range() -> None:
    net = _network(_entry("10.0.0.0/16", ip_range="10.0.5.0/30"))
    assert net.gateways() == [_ip("10.0.5.0")]
    assert [net.allocate(4) for _ in range(3)] == [
        _ip("10.0.5.1"), _ip("10.0.5.2"), _ip("10.0.5.3")]
    with pytest.raises(WharfError, match="no available IPv4 addresses"):
        net.allocate(4)


def test_a_requested_address_may_lie_outside_the_range_but_inside_the_subnet() -> None:
    net = _network(_entry("10.0.0.0/16", ip_range="10.0.5.0/24"))
    assert net.allocate(4, _ip("10.0.9.9")) == _ip("10.0.9.9")


@pytest.mark.parametrize("taken", ["172.18.0.0", "172.18.0.1", "172.18.255.255", "172.18.0.7"])
def test_a_requested_address_in_use(taken: str) -> None:
    net = _network(_entry("172.18.0.0/16", aux={"x": "172.18.0.7"}))
    with pytest.raises(Forbidden) as caught:
        net.allocate(4, _ip(taken))
    assert caught.value.message == "Address already in use"


def test_a_requested_address_twice() -> None:
    net = _network(_entry("172.18.0.0/16"))
    net.allocate(4, _ip("172.18.3.4"))
    with pytest.raises(Forbidden, match=r"^Address already in use$"):
        net.allocate(4, _ip("172.18.3.4"))
    net.release(_ip("172.18.3.4"))
    assert net.allocate(4, _ip("172.18.3.4")) == _ip("172.18.3.4")


def test_a_requested_address_outside_every_subnet() -> None:
    net = _network(_entry("172.18.0.0/16"))
    with pytest.raises(InvalidParameter) as caught:
        net.allocate(4, _ip("10.9.9.9"))
    assert caught.value.message == (
        "invalid address 10.9.9.9: It does not belong to any of this network's subnets"
    )


def test_releasing_the_gateway_or_a_free_address_changes_nothing() -> None:
    net = _network(_entry("10.0.0.0/24"))
    net.release(_ip("10.0.0.1"))
    net.release(_ip("10.0.0.77"))
    net.release(_ip("192.168.1.1"))
    assert net.allocate(4) == _ip("10.0.0.2")


def test_point_to_point_subnets_have_no_reserved_addresses() -> None:
    net = _network(_entry("10.0.0.0/31"))
    assert net.gateways() == [_ip("10.0.0.0")]
    assert net.allocate(4) == _ip("10.0.0.1")


def test_ipv6_keeps_the_subnet_address_but_not_a_broadcast() -> None:
    net = _network(_entry("10.0.0.0/24"), _entry("fd00:1::/126"))
    assert net.gateways() == [_ip("10.0.0.1"), _ip("fd00:1::1")]
    assert [net.allocate(6) for _ in range(2)] == [_ip("fd00:1::2"), _ip("fd00:1::3")]
    assert net.allocate(4) == _ip("10.0.0.2")
    with pytest.raises(WharfError, match="no available IPv6 addresses"):
        net.allocate(6)


def test_a_big_ipv6_subnet_is_not_enumerated() -> None:
    net = _network(_entry("fd00:2::/64"))
    assert net.allocate(6) == _ip("fd00:2::2")
    assert net.allocate(6, _ip("fd00:2::ffff:ffff:ffff:ffff")) == _ip(
        "fd00:2::ffff:ffff:ffff:ffff")


def test_the_next_subnet_of_the_same_family_is_used_when_one_is_full() -> None:
    net = _network(_entry("10.0.0.0/30"), _entry("10.1.0.0/30"))
    assert [net.allocate(4) for _ in range(2)] == [_ip("10.0.0.2"), _ip("10.1.0.2")]


def test_a_gateway_on_a_reserved_address() -> None:
    with pytest.raises(WharfError) as caught:
        SubnetAddresses(_entry("10.0.0.0/24", gateway="10.0.0.0"))
    assert caught.value.message == "failed to allocate gateway (10.0.0.0): Address already in use"
    assert caught.value.status == 500


def test_an_aux_address_on_the_broadcast() -> None:
    with pytest.raises(WharfError, match=r"secondary ip address \(b:10.0.0.255\)"):
        SubnetAddresses(_entry("10.0.0.0/24", aux={"b": "10.0.0.255"}))


def test_the_default_gateway_is_taken_before_aux_addresses() -> None:
    with pytest.raises(WharfError) as caught:
        SubnetAddresses(_entry("10.0.0.0/24", aux={"router": "10.0.0.1"}))
    assert caught.value.message == (
        "failed to allocate secondary ip address (router:10.0.0.1): Address already in use"
    )


def test_two_aux_names_on_one_address() -> None:
    with pytest.raises(WharfError, match=r"^failed to allocate secondary ip address \(b:"):
        SubnetAddresses(_entry("10.0.0.0/24", aux={"a": "10.0.0.9", "b": "10.0.0.9"}))


def test_state_round_trips_through_json() -> None:
    entries = [_entry("10.0.0.0/24", ip_range="10.0.0.128/25"), _entry("fd00:3::/64")]
    net = NetworkAddresses("n", "id", entries)
    taken = [net.allocate(4), net.allocate(4, _ip("10.0.0.9")), net.allocate(6)]
    state = json.loads(json.dumps(net.to_state()))
    again = NetworkAddresses.from_state("n", "id", entries, state)
    assert again.gateways() == net.gateways()
    for address in taken:
        with pytest.raises(Forbidden):
            again.allocate(address.version, address)
    assert again.allocate(4) == _ip("10.0.0.130")


def test_state_for_other_subnets_is_refused() -> None:
    state = NetworkAddresses("n", "id", [_entry("10.0.0.0/24")]).to_state()
    with pytest.raises(InvalidParameter, match=r"saved state is for 10\.0\.0\.0/24"):
        NetworkAddresses.from_state("n", "id", [_entry("10.0.1.0/24")], state)
    with pytest.raises(InvalidParameter, match=r"saved state has 1 subnets"):
        NetworkAddresses.from_state("n", "id", [], state)
    state[0]["allocated"] = ["10.0.0.5", "10.7.0.1"]
    with pytest.raises(InvalidParameter, match=r"saved state: 10\.7\.0\.1 not in 10\.0\.0\.0/24"):
        NetworkAddresses.from_state("n", "id", [_entry("10.0.0.0/24")], state)


@pytest.mark.parametrize(("address", "mac"), [
    ("172.17.0.2", "02:42:ac:11:00:02"),
    ("10.0.0.1", "02:42:0a:00:00:01"),
    ("192.168.255.254", "02:42:c0:a8:ff:fe"),
])
def test_mac_from_ipv4(address: str, mac: str) -> None:
    assert mac_from_ipv4(ipaddress.IPv4Address(address)) == mac


@settings(max_examples=150, deadline=None)
@given(
    prefix=st.integers(min_value=26, max_value=30),
    steps=st.lists(st.one_of(st.none(), st.integers(0, 63)), max_size=60),
)
def test_allocation_matches_a_simple_model(prefix: int, steps: list[int | None]) -> None:
    """None allocates; an integer releases the address at that offset of the subnet."""
    entry = _entry(f"10.4.0.0/{prefix}", aux={"a": "10.4.0.2"})
    net = _network(entry)
    usable = [a for a in entry.subnet.hosts() if a not in (_ip("10.4.0.1"), _ip("10.4.0.2"))]
    held: set[IPAddress] = set()
    for step in steps:
        if step is None:
            free = [a for a in usable if a not in held]
            if not free:
                with pytest.raises(WharfError, match="no available IPv4 addresses"):
                    net.allocate(4)
                continue
            assert net.allocate(4) == free[0]
            held.add(free[0])
        else:
            address = entry.subnet.network_address + step
            net.release(address)
            held.discard(address)
