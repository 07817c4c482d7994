"""Default address pools and the choice of a free subnet for a new network."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wharf.core.errors import InvalidParameter, NotFound
from wharf.network.ipam import IPNetwork
from wharf.network.pools import (
    DOCKER_BRIDGE_SUBNET,
    DOCKER_DEFAULT_POOLS,
    WHARF_BRIDGE_GATEWAY,
    WHARF_BRIDGE_SUBNET,
    WHARF_DEFAULT_POOLS,
    AddressPool,
    allocate_subnet,
    default_bridge_entry,
    parse_address_pools,
)


def _nets(*texts: str) -> list[IPNetwork]:
    return [ipaddress.ip_network(text) for text in texts]


def _subnets_of(pools: tuple[AddressPool, ...]) -> set[IPNetwork]:
    return {s for pool in pools for s in pool.base.subnets(new_prefix=pool.size)}


def test_wharf_pools_are_dockers_without_the_two_bridges() -> None:
    expected = _subnets_of(DOCKER_DEFAULT_POOLS) - {DOCKER_BRIDGE_SUBNET, WHARF_BRIDGE_SUBNET}
    assert _subnets_of(WHARF_DEFAULT_POOLS) == expected
    assert WHARF_BRIDGE_SUBNET.network_address + 1 == WHARF_BRIDGE_GATEWAY


def test_first_network_takes_the_first_pool() -> None:
    assert allocate_subnet(WHARF_DEFAULT_POOLS, []) == ipaddress.ip_network("172.18.0.0/16")


def test_docker_defaults_start_at_docker0() -> None:
    assert allocate_subnet(DOCKER_DEFAULT_POOLS, []) == DOCKER_BRIDGE_SUBNET


def test_in_use_subnets_and_routes_are_skipped() -> None:
    in_use = _nets("172.18.0.0/16", "172.19.5.0/24", "0.0.0.0/0", "10.0.0.0/8")
    assert allocate_subnet(WHARF_DEFAULT_POOLS, in_use) == ipaddress.ip_network("172.20.0.0/16")


def test_a_wide_route_skips_a_whole_pool() -> None:
    in_use = _nets("172.16.0.0/12")
    assert allocate_subnet(WHARF_DEFAULT_POOLS, in_use) == ipaddress.ip_network("192.168.0.0/20")


def test_a_gap_inside_a_pool_is_used() -> None:
    pools = (AddressPool(ipaddress.ip_network("10.10.0.0/16"), 24),)
    in_use = _nets("10.10.0.0/24", "10.10.1.128/25", "10.10.3.0/24")
    assert allocate_subnet(pools, in_use) == ipaddress.ip_network("10.10.2.0/24")


def test_pools_are_tried_in_address_order() -> None:
    pools = (AddressPool(ipaddress.ip_network("192.168.0.0/16"), 24),
             AddressPool(ipaddress.ip_network("10.0.0.0/16"), 24))
    assert allocate_subnet(pools, []) == ipaddress.ip_network("10.0.0.0/24")


def test_exhausted_pools_say_so_as_docker() -> None:
    pools = (AddressPool(ipaddress.ip_network("10.0.0.0/23"), 24),)
    with pytest.raises(NotFound) as caught:
        allocate_subnet(pools, _nets("10.0.0.0/24", "10.0.1.0/24"))
    assert caught.value.message == (
        "could not find an available, non-overlapping IPv4 address pool among the defaults "
        "to assign to the network"
    )


def test_every_wharf_default_subnet_then_none() -> None:
    taken: list[IPNetwork] = []
    for _ in range(64):
        try:
            taken.append(allocate_subnet(WHARF_DEFAULT_POOLS, taken))
        except NotFound:
            break
    assert set(taken) == _subnets_of(WHARF_DEFAULT_POOLS)
    assert len(taken) == len(set(taken)) == 4 + 4 + 1 + 1 + 1 + 2 + 16


def test_ipv6_pools() -> None:
    pools = (AddressPool(ipaddress.ip_network("fd00:abcd::/48"), 64),)
    in_use = _nets("fd00:abcd::/64", "10.0.0.0/8")
    assert allocate_subnet(pools, in_use, version=6) == ipaddress.ip_network("fd00:abcd:0:1::/64")
    with pytest.raises(NotFound, match="non-overlapping IPv6 address pool"):
        allocate_subnet(WHARF_DEFAULT_POOLS, [], version=6)


def test_many_in_use_prefixes_in_a_big_pool() -> None:
    pools = (AddressPool(ipaddress.ip_network("10.0.0.0/8"), 24),)
    in_use = [ipaddress.ip_network(f"10.0.{i}.0/24") for i in range(256)]
    assert allocate_subnet(pools, in_use) == ipaddress.ip_network("10.1.0.0/24")


def test_daemon_json_pools() -> None:
    pools = parse_address_pools([{"base": "172.80.0.0/16", "size": 24}])
    assert pools == (AddressPool(ipaddress.ip_network("172.80.0.0/16"), 24),)
    assert allocate_subnet(pools, []) == ipaddress.ip_network("172.80.0.0/24")


@pytest.mark.parametrize("item", [{"base": "172.80.0.0/16", "size": 8},
                                  {"base": "172.80.0.0/16", "size": 33},
                                  {"base": "172.80.0.1/16", "size": 24},
                                  {"base": "172.80.0.0/16", "size": "24"},
                                  {"base": "172.80.0.0/16", "size": True},
                                  {"size": 24}])
def test_bad_daemon_json_pools(item: dict[str, object]) -> None:
    with pytest.raises(InvalidParameter):
        parse_address_pools([item])


def test_one_wide_prefix_blocks_many_candidates_at_once() -> None:
    pools = (AddressPool(ipaddress.ip_network("10.0.0.0/8"), 24),)
    in_use = _nets("10.0.0.0/16", "10.1.0.0/24")
    assert allocate_subnet(pools, in_use) == ipaddress.ip_network("10.1.1.0/24")


def _lowest_by_brute_force(pool: AddressPool, in_use: list[IPNetwork]) -> IPNetwork | None:
    for candidate in pool.base.subnets(new_prefix=pool.size):
        if not any(used.overlaps(candidate) for used in in_use):
            return candidate
    return None


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(min_value=20, max_value=28),
    used=st.lists(st.tuples(st.integers(0, 2**12 - 1), st.integers(16, 30)), max_size=12),
)
def test_the_choice_is_the_lowest_free_subnet(size: int, used: list[tuple[int, int]]) -> None:
    pool = AddressPool(ipaddress.ip_network("10.16.0.0/20"), max(size, 20))
    base = int(pool.base.network_address)
    in_use: list[IPNetwork] = [
        ipaddress.ip_network(f"{ipaddress.IPv4Address(base + offset)}/{bits}", strict=False)
        for offset, bits in used
    ]
    expected = _lowest_by_brute_force(pool, in_use)
    if expected is None:
        with pytest.raises(NotFound):
            allocate_subnet((pool,), in_use)
    else:
        assert allocate_subnet((pool,), in_use) == expected


def test_wharf0_defaults_to_its_own_subnet() -> None:
    entry = default_bridge_entry()
    assert (entry.subnet, entry.gateway, entry.ip_range) == (
        WHARF_BRIDGE_SUBNET, WHARF_BRIDGE_GATEWAY, None)


def test_wharf0_from_bip_and_fixed_cidr() -> None:
    entry = default_bridge_entry("10.20.0.254/16", "10.20.8.0/24")
    assert entry.subnet == ipaddress.ip_network("10.20.0.0/16")
    assert entry.gateway == ipaddress.ip_address("10.20.0.254")
    assert entry.ip_range == ipaddress.ip_network("10.20.8.0/24")


@pytest.mark.parametrize(("bip", "fixed_cidr", "fault"), [
    ("10.20.0.300/16", "", "invalid bip 10.20.0.300/16"),
    ("fd00::1/64", "", "invalid bip fd00::1/64"),
    ("10.20.0.1/16", "10.30.0.0/24", "parent subnet 10.20.0.0/16 doesn't contain ip-range"),
])
def test_bad_bip_or_fixed_cidr(bip: str, fixed_cidr: str, fault: str) -> None:
    with pytest.raises(InvalidParameter, match=fault):
        default_bridge_entry(bip, fixed_cidr)
