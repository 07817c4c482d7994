from __future__ import annotations

import pytest

from wharf.core.errors import InvalidParameter
from wharf.network.firewall_rules import (
    OWN_CHAINS,
    BridgeNet,
    PublishedPort,
    Rule,
    RuleSet,
    base_rules,
    bridge_rules,
    published_port_rules,
)

BUILTIN = {"FORWARD", "PREROUTING", "OUTPUT", "POSTROUTING", "INPUT"}


def joined(commands: list[list[str]]) -> list[str]:
    return [" ".join(argv) for argv in commands]


def assert_undo_matches(rules: RuleSet) -> None:
    """Every -A/-I has its -D with the same table, chain and spec, in reverse order."""
    adds = [argv for argv in rules.add_commands() if argv[3] in ("-A", "-I")]
    deletes = [argv for argv in rules.delete_commands() if argv[3] == "-D"]
    expected = []
    for argv in reversed(adds):
        spec = argv[6:] if argv[3] == "-I" else argv[5:]
        expected.append([*argv[:3], "-D", argv[4], *spec])
    assert deletes == expected


def test_base_creates_only_wharf_chains_and_jumps_user_chain_first() -> None:
    rules = base_rules()
    adds = joined(rules.add_commands())
    assert adds[:7] == [
        "iptables -t nat -N WHARF",
        "iptables -t nat -N WHARF-POSTROUTING",
        *(f"iptables -t filter -N {chain}" for chain in OWN_CHAINS if chain != "WHARF-POSTROUTING"),
    ]
    forward = [cmd for cmd in adds if " FORWARD " in cmd]
    assert forward == [
        "iptables -t filter -I FORWARD 1 -j WHARF-FORWARD",
        "iptables -t filter -I FORWARD 1 -j WHARF-USER",
    ]  # the last inserted at 1 is evaluated first
    assert (
        "iptables -t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j WHARF" in adds
    )
    assert "iptables -t nat -A POSTROUTING -j WHARF-POSTROUTING" in adds
    assert_undo_matches(rules)


def test_builtin_chains_hold_only_jumps_into_wharfs() -> None:
    every = [base_rules(), bridge_rules(BridgeNet("br0", "10.0.0.0/24"), userland_proxy=False)]
    every.append(published_port_rules(PublishedPort("br0", "10.0.0.2", 80, "tcp", "", 80)))
    for rules in every:
        for rule in rules.rules:
            if rule.chain in BUILTIN:
                assert rule.spec[-2] == "-j" and rule.spec[-1] in OWN_CHAINS


def test_base_undo_never_flushes_or_removes_a_builtin_chain() -> None:
    for rules in (base_rules(4), base_rules(6, userland_proxy=False)):
        for argv in rules.delete_commands():
            if argv[3] in ("-F", "-X"):
                assert argv[4] in OWN_CHAINS
                assert argv[4] not in BUILTIN
        undo = joined(rules.delete_commands())
        last_delete = max(i for i, cmd in enumerate(undo) if " -D " in cmd)
        first_flush = min(i for i, cmd in enumerate(undo) if " -F " in cmd)
        assert last_delete < first_flush  # jumps into the chains go before the chains
        assert undo[-1].endswith("-X WHARF")


def test_ipv6_base_without_proxy() -> None:
    adds = joined(base_rules(6, userland_proxy=False).add_commands())
    assert all(cmd.startswith("ip6tables ") for cmd in adds)
    assert "ip6tables -t nat -A OUTPUT -m addrtype --dst-type LOCAL -j WHARF" in adds


def test_a_foreign_chain_cannot_be_owned() -> None:
    with pytest.raises(InvalidParameter, match="not a wharf chain: DOCKER"):
        RuleSet(4, (), (("filter", "DOCKER"),))
    with pytest.raises(InvalidParameter):
        base_rules(5)


def test_bridge_masquerade_forwarding_and_isolation() -> None:
    rules = bridge_rules(BridgeNet("br-1234", "172.18.0.0/16"))
    adds = joined(rules.add_commands())
    assert adds == [
        "iptables -t nat -A WHARF-POSTROUTING -s 172.18.0.0/16 ! -o br-1234 -j MASQUERADE",
        "iptables -t nat -A WHARF -i br-1234 -j RETURN",
        "iptables -t filter -A WHARF-FORWARD -o br-1234 -m conntrack --ctstate "
        "RELATED,ESTABLISHED -j ACCEPT",
        "iptables -t filter -A WHARF-FORWARD -o br-1234 -j WHARF",
        "iptables -t filter -A WHARF-FORWARD -i br-1234 ! -o br-1234 -j ACCEPT",
        "iptables -t filter -A WHARF-FORWARD -i br-1234 -o br-1234 -j ACCEPT",
        "iptables -t filter -I WHARF-ISOLATION-STAGE-1 1 -i br-1234 ! -o br-1234 "
        "-j WHARF-ISOLATION-STAGE-2",
        "iptables -t filter -I WHARF-ISOLATION-STAGE-2 1 -o br-1234 -j DROP",
    ]
    assert not any(argv[3] in ("-F", "-X", "-N") for argv in rules.delete_commands())
    assert_undo_matches(rules)


def test_internal_bridge_has_no_masquerade_and_drops_outside_traffic() -> None:
    rules = bridge_rules(BridgeNet("br-int", "10.5.0.0/24", internal=True, icc=False))
    adds = joined(rules.add_commands())
    assert not any("MASQUERADE" in cmd or "-t nat" in cmd for cmd in adds)
    assert (
        "iptables -t filter -I WHARF-ISOLATION-STAGE-1 1 -i br-int ! -d 10.5.0.0/24 -j DROP" in adds
    )
    assert (
        "iptables -t filter -I WHARF-ISOLATION-STAGE-1 1 -o br-int ! -s 10.5.0.0/24 -j DROP" in adds
    )
    assert "iptables -t filter -A WHARF-FORWARD -i br-int -o br-int -j DROP" in adds
    assert_undo_matches(rules)


def test_masquerade_switched_off_leaves_forwarding_rules() -> None:
    plain = bridge_rules(BridgeNet("br-nm", "10.6.0.0/24")).rules
    off = bridge_rules(BridgeNet("br-nm", "10.6.0.0/24", masquerade=False)).rules
    assert [r for r in plain if "MASQUERADE" not in r.spec] == list(off)
    assert len(off) == len(plain) - 1


def test_hairpin_masquerade_without_the_userland_proxy() -> None:
    adds = joined(
        bridge_rules(BridgeNet("wharf0", "172.28.0.0/16"), userland_proxy=False).add_commands()
    )
    assert adds[-1] == (
        "iptables -t nat -A WHARF-POSTROUTING -m addrtype --src-type LOCAL -o wharf0 -j MASQUERADE"
    )


@pytest.mark.parametrize(
    ("name", "subnet"),
    [("a b", "10.0.0.0/8"), ("x" * 16, "10.0.0.0/8"), ("br0", "10.0.0.1/8"), ("br0", "nope")],
)
def test_bad_bridge_inputs(name: str, subnet: str) -> None:
    with pytest.raises(InvalidParameter):
        bridge_rules(BridgeNet(name, subnet))


def test_published_port_on_loopback() -> None:
    rules = published_port_rules(
        PublishedPort("wharf0", "172.28.0.2", 5000, "tcp", "127.0.0.1", 5001)
    )
    assert joined(rules.add_commands()) == [
        "iptables -t nat -A WHARF -d 127.0.0.1/32 ! -i wharf0 -p tcp -m tcp --dport 5001 "
        "-j DNAT --to-destination 172.28.0.2:5000",
        "iptables -t filter -A WHARF -d 172.28.0.2/32 ! -i wharf0 -o wharf0 -p tcp -m tcp "
        "--dport 5000 -j ACCEPT",
        "iptables -t nat -A WHARF-POSTROUTING -s 172.28.0.2/32 -d 172.28.0.2/32 -p tcp -m tcp "
        "--dport 5000 -j MASQUERADE",
    ]
    assert_undo_matches(rules)


def test_published_port_on_every_address_and_ipv6() -> None:
    v4 = published_port_rules(PublishedPort("br-x", "10.1.0.3", 53, "udp", "0.0.0.0", 5353))
    assert v4.rules[0].spec[:2] == ("!", "-i")
    v6 = published_port_rules(PublishedPort("br-x", "fd00::3", 80, "tcp", "::1", 8080))
    adds = joined(v6.add_commands())
    assert adds[0] == (
        "ip6tables -t nat -A WHARF -d ::1/128 ! -i br-x -p tcp -m tcp --dport 8080 "
        "-j DNAT --to-destination [fd00::3]:80"
    )


@pytest.mark.parametrize(
    "port",
    [
        PublishedPort("br0", "10.0.0.2", 80, "icmp", "", 80),
        PublishedPort("br0", "10.0.0.2", 0, "tcp", "", 80),
        PublishedPort("br0", "10.0.0.2", 80, "tcp", "", 70000),
        PublishedPort("br0", "10.0.0.2", 80, "tcp", "::1", 80),
        PublishedPort("br0", "10.0.0.x", 80, "tcp", "", 80),
    ],
)
def test_bad_published_ports(port: PublishedPort) -> None:
    with pytest.raises(InvalidParameter):
        published_port_rules(port)


def test_rule_check_argv() -> None:
    rule = Rule("filter", "WHARF", ("-j", "RETURN"), first=True)
    assert rule.check_argv("iptables") == [
        "iptables",
        "-t",
        "filter",
        "-C",
        "WHARF",
        "-j",
        "RETURN",
    ]
