from __future__ import annotations

import pytest

from wharf.core.errors import RuntimeFailure
from wharf.network.firewall import (
    apply,
    apply_nft,
    remove,
    sweep,
    sweep_commands,
    sweep_nft,
)
from wharf.network.firewall_detect import CommandOutput
from wharf.network.firewall_rules import (
    BridgeNet,
    PublishedPort,
    RuleSet,
    base_rules,
    bridge_rules,
    published_port_rules,
)

from .fake_iptables import FakeIptables

FOREIGN = ("-o", "docker0", "-j", "DOCKER")


def host_with_docker() -> FakeIptables:
    fake = FakeIptables()
    fake.tables["filter"]["DOCKER"] = [("-j", "RETURN")]
    fake.tables["filter"]["FORWARD"].append(FOREIGN)
    fake.tables["nat"]["POSTROUTING"].append(("-s", "172.17.0.0/16", "-j", "MASQUERADE"))
    return fake


def everything() -> list[RuleSet]:
    return [
        base_rules(),
        bridge_rules(BridgeNet("wharf0", "172.28.0.0/16")),
        published_port_rules(PublishedPort("wharf0", "172.28.0.2", 80, "tcp", "127.0.0.1", 8080)),
    ]


def test_apply_then_remove_restores_the_host_exactly() -> None:
    fake = host_with_docker()
    before = fake.snapshot()
    for rules in everything():
        apply(fake, rules)
    assert fake.tables["filter"]["FORWARD"][:2] == [("-j", "WHARF-USER"), ("-j", "WHARF-FORWARD")]
    assert fake.tables["filter"]["FORWARD"][2] == FOREIGN
    for rules in reversed(everything()):
        assert remove(fake, rules) == []
    assert fake.snapshot() == before


def test_apply_twice_adds_nothing_the_second_time() -> None:
    fake = FakeIptables()
    for rules in everything():
        apply(fake, rules)
    once = fake.snapshot()
    for rules in everything():
        apply(fake, rules)
    assert fake.snapshot() == once


def test_a_failed_apply_leaves_nothing_of_its_own() -> None:
    fake = host_with_docker()
    apply(fake, base_rules())
    before = fake.snapshot()
    fake.fail_on = "-A WHARF-FORWARD -i br-x ! -o br-x"
    with pytest.raises(RuntimeFailure, match="exit status 4: iptables: Resource"):
        apply(fake, bridge_rules(BridgeNet("br-x", "10.7.0.0/24")))
    assert fake.snapshot() == before


def test_remove_tolerates_rules_already_gone_but_reports_other_failures() -> None:
    fake = FakeIptables()
    rules = bridge_rules(BridgeNet("br-x", "10.7.0.0/24"))
    apply(fake, base_rules())
    assert remove(fake, rules) == []
    apply(fake, rules)
    fake.fail_on = "-D WHARF-POSTROUTING"
    failures = remove(fake, rules)
    assert len(failures) == 1 and "exit status 4" in failures[0]


def _two_daemons() -> tuple[FakeIptables, dict[str, dict[str, list[tuple[str, ...]]]]]:
    """Docker's rules, wharf's base, another daemon's bridge ("wbr-other") and ours ("wharf0",
    with a published port, and "wbr-gone" whose bridge no longer exists); the snapshot is the
    state with only the other daemon's and Docker's rules."""
    fake = host_with_docker()
    apply(fake, base_rules())
    apply(fake, bridge_rules(BridgeNet("wbr-other", "10.9.0.0/24")))
    apply(fake, published_port_rules(
        PublishedPort("wbr-other", "10.9.0.2", 80, "tcp", "", 9090)))
    kept = fake.snapshot()
    for rules in everything():
        apply(fake, rules)
    apply(fake, bridge_rules(BridgeNet("wbr-gone", "10.8.0.0/24", internal=True)))
    apply(fake, bridge_rules(BridgeNet("wbr-gone2", "10.6.0.0/24")))
    return fake, kept


def test_sweep_deletes_rules_of_own_and_vanished_bridges_only() -> None:
    fake, kept = _two_daemons()
    doomed = {"wharf0", "wbr-gone", "wbr-gone2"}
    assert sweep(fake, doomed.__contains__) == []
    assert fake.snapshot() == kept
    assert sweep(fake, doomed.__contains__) == []  # nothing left: still no failure


def test_sweep_never_flushes_or_removes_a_chain() -> None:
    fake, _kept = _two_daemons()
    sweep(fake, lambda name: True)
    assert not any(argv[3] in ("-F", "-X") for argv in fake.calls)
    assert fake.tables["filter"]["FORWARD"][:2] == [("-j", "WHARF-USER"), ("-j", "WHARF-FORWARD")]
    assert FOREIGN in fake.tables["filter"]["FORWARD"]
    assert ("-j", "RETURN") in fake.tables["filter"]["WHARF-USER"]


def test_sweep_commands_keep_hairpins_outside_the_doomed_subnets() -> None:
    listing = (
        "-P WHARF-POSTROUTING ACCEPT\n"
        "-A WHARF-POSTROUTING -s 10.1.0.0/24 ! -o br-a -j MASQUERADE\n"
        "-A WHARF-POSTROUTING -s 10.1.0.5/32 -d 10.1.0.5/32 -p tcp -j MASQUERADE\n"
        "-A WHARF-POSTROUTING -s 10.2.0.5/32 -d 10.2.0.5/32 -p tcp -j MASQUERADE\n"
    )
    commands = sweep_commands("iptables", {("nat", "WHARF-POSTROUTING"): listing},
                              {"br-a"}.__contains__)
    assert [" ".join(argv[3:9]) for argv in commands] == [
        "-D WHARF-POSTROUTING -s 10.1.0.0/24 ! -o",
        "-D WHARF-POSTROUTING -s 10.1.0.5/32 -d 10.1.0.5/32",
    ]


class NftRunner:
    def __init__(self, result: CommandOutput) -> None:
        self.result = result
        self.seen: list[tuple[list[str], str]] = []

    def run(self, argv: list[str], stdin: str = "") -> CommandOutput:
        self.seen.append((argv, stdin))
        return self.result


def test_apply_nft_feeds_the_ruleset_on_stdin() -> None:
    ok = NftRunner(CommandOutput(0))
    apply_nft(ok, "table ip wharf {}\n")
    assert ok.seen == [(["nft", "-f", "-"], "table ip wharf {}\n")]
    bad = NftRunner(CommandOutput(1, "", "Error: syntax error\n"))
    with pytest.raises(RuntimeFailure, match="syntax error"):
        apply_nft(bad, "junk")


def test_sweep_nft_deletes_only_wharfs_tables_and_tolerates_absence() -> None:
    absent = NftRunner(CommandOutput(1, "", "Error: No such file or directory; did you mean"))
    assert sweep_nft(absent) == []
    assert [argv for argv, _ in absent.seen] == [
        ["nft", "delete", "table", "ip", "wharf"],
        ["nft", "delete", "table", "ip6", "wharf"],
    ]
    denied = NftRunner(CommandOutput(1, "", "Error: Operation not permitted"))
    assert len(sweep_nft(denied)) == 2
