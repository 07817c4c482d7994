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


def test_sweep_after_a_crash_removes_all_of_wharfs_and_nothing_else() -> None:
    fake = host_with_docker()
    before = fake.snapshot()
    for rules in everything():
        apply(fake, rules)
    assert sweep(fake) == []
    assert fake.snapshot() == before
    assert sweep(fake) == []  # nothing left: still no failure


def test_sweep_commands_only_touch_jumps_into_wharf_chains() -> None:
    listing = "-P FORWARD DROP\n-A FORWARD -j DOCKER-USER\n-A FORWARD -j WHARF-USER\n"
    commands = sweep_commands("iptables", {("filter", "FORWARD"): listing})
    assert commands[0] == ["iptables", "-t", "filter", "-D", "FORWARD", "-j", "WHARF-USER"]
    assert not any("DOCKER" in " ".join(argv) for argv in commands)
    assert all(argv[4].startswith("WHARF") for argv in commands[1:])


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
