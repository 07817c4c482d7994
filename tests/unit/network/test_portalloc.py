from __future__ import annotations

import pytest

from wharf.core.errors import Conflict, InvalidParameter
from wharf.network.portalloc import DEFAULT_EPHEMERAL, PortAllocator, parse_ephemeral_range


def test_ephemeral_range_from_proc_text_with_fallbacks() -> None:
    assert parse_ephemeral_range("32768\t60999\n") == (32768, 60999)
    assert parse_ephemeral_range(None) == DEFAULT_EPHEMERAL
    assert parse_ephemeral_range("junk") == DEFAULT_EPHEMERAL
    assert parse_ephemeral_range("600 500") == DEFAULT_EPHEMERAL


def test_a_taken_port_gives_dockers_message() -> None:
    alloc = PortAllocator()
    assert alloc.request("", "tcp", 8080) == 8080
    with pytest.raises(Conflict) as caught:
        alloc.request("0.0.0.0", "tcp", 8080)
    assert str(caught.value) == "Bind for 0.0.0.0:8080 failed: port is already allocated"


def test_protocols_and_addresses_are_separate() -> None:
    alloc = PortAllocator()
    alloc.request("127.0.0.1", "tcp", 5001)
    assert alloc.request("127.0.0.1", "udp", 5001) == 5001
    assert alloc.request("127.0.0.2", "tcp", 5001) == 5001
    assert alloc.request("::1", "tcp", 5001) == 5001


def test_unspecified_address_blocks_specific_ones_of_its_family() -> None:
    alloc = PortAllocator()
    alloc.request("0.0.0.0", "tcp", 80)
    with pytest.raises(Conflict, match=r"^Bind for 127\.0\.0\.1:80 failed"):
        alloc.request("127.0.0.1", "tcp", 80)
    alloc.request("::1", "tcp", 443)
    with pytest.raises(Conflict, match=r"^Bind for \[::\]:443 failed"):
        alloc.request("::", "tcp", 443)


def test_release_frees_the_port() -> None:
    alloc = PortAllocator()
    alloc.request("", "tcp", 9000)
    alloc.release("0.0.0.0", "tcp", 9000)
    alloc.release("0.0.0.0", "tcp", 9000)
    assert alloc.request("", "tcp", 9000) == 9000


def test_dynamic_ports_advance_then_wrap_and_exhaust() -> None:
    alloc = PortAllocator(ephemeral=(40000, 40002))
    got = [alloc.request("", "tcp") for _ in range(3)]
    assert got == [40000, 40001, 40002]
    with pytest.raises(Conflict, match=r"^all ports are allocated$"):
        alloc.request("", "tcp")
    alloc.release("", "tcp", 40001)
    assert alloc.request("", "tcp") == 40001


def test_dynamic_skips_held_ports() -> None:
    alloc = PortAllocator(ephemeral=(40000, 40005))
    alloc.request("", "udp", 40000)
    alloc.request("", "udp", 40001)
    assert alloc.request("", "udp") == 40002


def test_a_requested_range() -> None:
    alloc = PortAllocator()
    alloc.request("", "tcp", 8000)
    assert alloc.request("", "tcp", 8000, 8001) == 8001
    with pytest.raises(Conflict):
        alloc.request("", "tcp", 8000, 8001)
    with pytest.raises(InvalidParameter, match=r"^invalid port range: 9-7$"):
        alloc.request("", "tcp", 9, 7)


def test_bad_inputs() -> None:
    alloc = PortAllocator()
    with pytest.raises(InvalidParameter, match=r"^unknown protocol$"):
        alloc.request("", "icmp", 1)
    with pytest.raises(InvalidParameter, match=r"^invalid IP address: nope$"):
        alloc.request("nope", "tcp", 1)


def test_snapshot_round_trips() -> None:
    alloc = PortAllocator()
    alloc.request("127.0.0.1", "tcp", 5001)
    alloc.request("", "udp", 53)
    again = PortAllocator()
    again.restore(alloc.snapshot())
    assert again.snapshot() == alloc.snapshot()
    assert again.is_held("127.0.0.1", "tcp", 5001)
    assert not again.is_held("127.0.0.1", "tcp", 5002)


def test_binding_on_both_families_gets_one_port() -> None:
    alloc = PortAllocator(ephemeral=(41000, 41003))
    alloc.request("::", "tcp", 41000)
    assert alloc.request_binding("", "tcp", "", dual=True) == [("0.0.0.0", 41001), ("::", 41001)]
    assert not alloc.is_held("0.0.0.0", "tcp", 41000)  # tried, found busy on ::, given back


def test_binding_exact_port_conflicting_on_ipv6_holds_nothing() -> None:
    alloc = PortAllocator()
    alloc.request("::1", "tcp", 8080)
    with pytest.raises(Conflict, match=r"^Bind for \[::\]:8080 failed"):
        alloc.request_binding("", "tcp", "8080", dual=True)
    assert not alloc.is_held("0.0.0.0", "tcp", 8080)


def test_binding_with_a_host_range_or_one_address() -> None:
    alloc = PortAllocator()
    alloc.request("127.0.0.1", "udp", 8000)
    assert alloc.request_binding("127.0.0.1", "udp", "8000-8010", dual=True) == [
        ("127.0.0.1", 8001)
    ]
    assert alloc.request_binding("", "tcp", "5001", dual=False) == [("0.0.0.0", 5001)]
    with pytest.raises(InvalidParameter, match=r"^Invalid hostPort: x$"):
        alloc.request_binding("", "tcp", "x", dual=False)
    with pytest.raises(InvalidParameter, match=r"^Invalid hostPort: 8000-$"):
        alloc.request_binding("", "tcp", "8000-", dual=False)


def test_each_range_remembers_its_own_last_port() -> None:
    alloc = PortAllocator(ephemeral=(42000, 42009))
    assert alloc.request("", "tcp", 8000, 8009) == 8000
    assert alloc.request("", "tcp") == 42000
    assert alloc.request("", "tcp", 8000, 8009) == 8001


def test_an_ephemeral_pick_skips_a_port_a_host_socket_holds() -> None:
    taken = {("0.0.0.0", "tcp", 40000)}
    alloc = PortAllocator(ephemeral=(40000, 40010),
                          busy=lambda ip, proto, port: (ip, proto, port) in taken)
    assert alloc.request("0.0.0.0", "tcp") == 40001
    assert alloc.request("0.0.0.0", "tcp", 40000) == 40000  # a named port is not probed


def test_port_in_use_sees_a_bound_socket() -> None:
    import socket

    from wharf.network.proxy import port_in_use

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        assert port_in_use("127.0.0.1", "tcp", port)
    assert not port_in_use("127.0.0.1", "tcp", port)
    assert not port_in_use("127.0.0.1", "sctp", port)
