from __future__ import annotations

import ipaddress
import random

from wharf.network.dns_names import (
    Action,
    Decision,
    Endpoint,
    NameResolver,
    NetworkNames,
    reverse_pointer_address,
)
from wharf.network.dnsmsg import TYPE_A, TYPE_AAAA, TYPE_PTR

WEB_ID = "a1b2c3d4e5f6" + "0" * 52
DB_ID = "0123456789ab" + "1" * 52
CLIENT_ID = "fedcba987654" + "2" * 52
V4 = ipaddress.IPv4Address
V6 = ipaddress.IPv6Address


def _resolver() -> NameResolver:
    front = NetworkNames("front")
    back = NetworkNames("back")
    front.attach(Endpoint(WEB_ID, "/web", ("www", "Portal"), V4("10.1.0.2")))
    front.attach(Endpoint(CLIENT_ID, "client", (), V4("10.1.0.9")))
    back.attach(Endpoint(DB_ID, "db", ("store",), V4("10.2.0.2"), V6("fd00::2")))
    back.attach(Endpoint(WEB_ID, "/web", (), V4("10.2.0.3")))
    return NameResolver({"front": front, "back": back})


def test_container_name_alias_and_short_id_resolve_case_insensitively() -> None:
    resolver = _resolver()
    expected = Decision(Action.ANSWER, addresses=(V4("10.1.0.2"),))
    for name in ("web", "WEB.", "www", "portal", WEB_ID[:12]):
        assert resolver.decide(CLIENT_ID, name, TYPE_A) == expected
    assert resolver.decide(CLIENT_ID, WEB_ID, TYPE_A).action is Action.FORWARD


def test_names_resolve_only_on_networks_the_asker_shares() -> None:
    resolver = _resolver()
    assert resolver.decide(CLIENT_ID, "db", TYPE_A).action is Action.FORWARD
    assert resolver.decide(WEB_ID, "db", TYPE_A).addresses == (V4("10.2.0.2"),)
    assert resolver.decide(DB_ID, "www", TYPE_A).action is Action.FORWARD  # alias of front only


def test_network_suffix_picks_that_network() -> None:
    resolver = _resolver()
    assert resolver.decide(DB_ID, "web.back", TYPE_A).addresses == (V4("10.2.0.3"),)
    assert resolver.decide(CLIENT_ID, "web.front", TYPE_A).addresses == (V4("10.1.0.2"),)
    assert resolver.decide(CLIENT_ID, "web.back", TYPE_A).action is Action.FORWARD


def test_aaaa_for_a_v4_only_container_is_empty_not_forwarded() -> None:
    resolver = _resolver()
    assert resolver.decide(CLIENT_ID, "web", TYPE_AAAA) == Decision(Action.ANSWER)
    assert resolver.decide(WEB_ID, "db", TYPE_AAAA).addresses == (V6("fd00::2"),)


def test_shared_alias_returns_every_address() -> None:
    resolver = _resolver()
    resolver.network("front").attach(Endpoint("9" * 64, "web2", ("www",), V4("10.1.0.3")))
    addresses = resolver.decide(CLIENT_ID, "www", TYPE_A).addresses
    assert set(addresses) == {V4("10.1.0.2"), V4("10.1.0.3")}


def test_other_query_types_and_unknown_names_are_forwarded() -> None:
    resolver = _resolver()
    assert resolver.decide(CLIENT_ID, "web", 15).action is Action.FORWARD
    assert resolver.decide(CLIENT_ID, "example.com", TYPE_A).action is Action.FORWARD


def test_default_bridge_has_no_names_and_internal_networks_fail() -> None:
    bridge = NetworkNames("bridge", dns_enabled=False)
    bridge.attach(Endpoint(WEB_ID, "web", (), V4("172.28.0.2")))
    bridge.attach(Endpoint(CLIENT_ID, "client", (), V4("172.28.0.3")))
    resolver = NameResolver({"bridge": bridge})
    assert resolver.decide(CLIENT_ID, "web", TYPE_A).action is Action.FORWARD
    closed = NetworkNames("closed", internal=True)
    closed.attach(Endpoint(DB_ID, "db", (), V4("10.9.0.2")))
    resolver.networks["closed"] = closed
    assert resolver.decide(DB_ID, "example.com", TYPE_A).action is Action.FAIL
    assert resolver.decide(DB_ID, "db", TYPE_A).addresses == (V4("10.9.0.2"),)


def test_links_are_seen_by_the_linking_container_only() -> None:
    resolver = _resolver()
    resolver.add_link(CLIENT_ID, "Backend", WEB_ID)
    assert resolver.decide(CLIENT_ID, "backend", TYPE_A).addresses == (V4("10.1.0.2"),)
    assert resolver.decide(WEB_ID, "backend", TYPE_A).action is Action.FORWARD


def test_forget_container_removes_its_names() -> None:
    resolver = _resolver()
    resolver.forget_container(WEB_ID)
    assert resolver.decide(CLIENT_ID, "web", TYPE_A).action is Action.FORWARD


def test_ptr_answers_name_dot_network_for_container_addresses() -> None:
    resolver = _resolver()
    decision = resolver.decide(CLIENT_ID, "2.0.1.10.in-addr.arpa", TYPE_PTR)
    assert decision == Decision(Action.ANSWER, pointers=("web.front",))
    assert resolver.decide(CLIENT_ID, "8.8.8.8.in-addr.arpa", TYPE_PTR).action is Action.FORWARD


def test_reverse_pointer_address() -> None:
    assert reverse_pointer_address("4.3.2.1.in-addr.arpa.") == V4("1.2.3.4")
    v6 = V6("fd00::2")
    assert reverse_pointer_address(v6.reverse_pointer) == v6
    assert reverse_pointer_address("3.2.1.in-addr.arpa") is None
    assert reverse_pointer_address("x.4.3.2.1.in-addr.arpa") is None
    assert reverse_pointer_address("example.com") is None


def test_several_addresses_are_shuffled_when_asked() -> None:
    resolver = _resolver()
    for index in range(3, 11):
        resolver.network("front").attach(
            Endpoint(f"{index:064x}", f"w{index}", ("pool",), V4(f"10.1.1.{index}")))
    kept = resolver.decide(CLIENT_ID, "pool", TYPE_A).addresses
    assert kept == tuple(V4(f"10.1.1.{index}") for index in range(3, 11))
    resolver.shuffle = random.Random(4)
    orders = {resolver.decide(CLIENT_ID, "pool", TYPE_A).addresses for _ in range(5)}
    assert len(orders) > 1 and all(sorted(order) == sorted(kept) for order in orders)


def test_user_ndots_keeps_unknown_single_labels_local() -> None:
    resolver = _resolver()
    resolver.user_ndots.add(CLIENT_ID)
    assert resolver.decide(CLIENT_ID, "intranet", TYPE_A) == Decision(Action.ANSWER)
    assert resolver.decide(CLIENT_ID, "intranet", 15).action is Action.FORWARD
    assert resolver.decide(CLIENT_ID, "intranet.corp", TYPE_A).action is Action.FORWARD
    assert resolver.decide(CLIENT_ID, "web", TYPE_A).addresses == (V4("10.1.0.2"),)
    assert resolver.decide(WEB_ID, "intranet", TYPE_A).action is Action.FORWARD
