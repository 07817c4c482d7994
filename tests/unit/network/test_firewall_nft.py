from __future__ import annotations

import pytest

from wharf.core.errors import InvalidParameter
from wharf.network.firewall_nft import delete_text, ruleset_text, user_table_text
from wharf.network.firewall_rules import BridgeNet, PublishedPort

BRIDGES = [
    BridgeNet("wharf0", "172.28.0.0/16", user_defined=False),
    BridgeNet("br-int", "10.9.0.0/24", internal=True),
    BridgeNet("br-v6", "fd00:1::/64"),
]
PORTS = [
    PublishedPort("wharf0", "172.28.0.2", 5000, "tcp", "127.0.0.1", 5001),
    PublishedPort("br-v6", "fd00:1::2", 80, "udp", "::", 8080),
]


def chain(text: str, name: str) -> list[str]:
    """The lines of one chain of the generated table."""
    lines = text.splitlines()
    start = lines.index(f"\tchain {name} {{")
    end = lines.index("\t}", start)
    return [line.strip() for line in lines[start + 1 : end]]


def test_table_is_swapped_atomically_and_only_wharfs() -> None:
    text = ruleset_text(4, BRIDGES, PORTS)
    assert text.startswith("table ip wharf\ndelete table ip wharf\ntable ip wharf {\n")
    assert text.count("table ") == 3
    assert "flush" not in text
    assert delete_text(6) == "delete table ip6 wharf\n"


def test_ipv4_bridges_ports_and_isolation() -> None:
    text = ruleset_text(4, BRIDGES, PORTS)
    assert chain(text, "postrouting") == [
        "type nat hook postrouting priority srcnat; policy accept;",
        'ip saddr 172.28.0.0/16 oifname != "wharf0" masquerade',
        "ip saddr 172.28.0.2 ip daddr 172.28.0.2 tcp dport 5000 masquerade",
    ]
    assert chain(text, "port-dnat") == [
        'iifname "wharf0" return',
        'ip daddr 127.0.0.1 iifname != "wharf0" tcp dport 5001 dnat to 172.28.0.2:5000',
    ]
    assert chain(text, "isolation-stage-1") == [
        'iifname "wharf0" oifname != "wharf0" jump isolation-stage-2',
        'iifname "br-int" ip daddr != 10.9.0.0/24 drop',
        'oifname "br-int" ip saddr != 10.9.0.0/24 drop',
    ]
    assert 'oifname "wharf0" jump published' in chain(text, "forward")
    assert "br-v6" not in text
    assert chain(text, "output")[-1] == (
        "ip daddr != 127.0.0.0/8 fib daddr type local jump port-dnat")


def test_ipv6_table() -> None:
    text = ruleset_text(6, BRIDGES, PORTS, userland_proxy=False)
    assert chain(text, "port-dnat") == [
        'iifname "br-v6" return',
        'iifname != "br-v6" udp dport 8080 dnat to [fd00:1::2]:80',
    ]
    assert 'oifname "br-v6" fib saddr type local masquerade' in chain(text, "postrouting")
    assert chain(text, "output")[-1] == "fib daddr type local jump port-dnat"
    assert "wharf0" not in text


def test_user_table_is_created_not_flushed() -> None:
    text = user_table_text(4)
    assert text.startswith("add table ip wharf-user\nadd chain ip wharf-user forward")
    assert "priority filter - 1" in text
    assert "flush" not in text and "delete" not in text


def test_validation_is_the_iptables_sides() -> None:
    with pytest.raises(InvalidParameter):
        ruleset_text(4, [BridgeNet("bad name", "10.0.0.0/8")], [])
    with pytest.raises(InvalidParameter):
        ruleset_text(4, [], [PublishedPort("br0", "10.0.0.2", 80, "icmp", "", 80)])
    with pytest.raises(InvalidParameter):
        ruleset_text(5, [], [])
