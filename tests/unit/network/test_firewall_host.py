"""The driver's rules against an in-memory iptables: what a bridge and a port add, and that
removing them leaves the shared base in place."""

from __future__ import annotations

from wharf.core.netspec import BridgeSpec, PortMapping
from wharf.network.firewall_host import HostFirewall

from .fake_iptables import FakeIptables


def _host() -> tuple[FakeIptables, HostFirewall]:
    fake = FakeIptables()
    return fake, HostFirewall(fake, ipv4=True, ipv6=False, hairpin_nat=False)


def test_bridge_and_port_rules_come_and_go_leaving_the_shared_base() -> None:
    fake, host = _host()
    spec = BridgeSpec("wbr-a", ("10.3.0.1/24", "fd00:3::1/64"))
    host.add_bridge(spec)
    base = fake.snapshot()
    port = PortMapping("tcp", "0.0.0.0", 8080, "10.3.0.2", 80, "wbr-a")
    host.add_port(port)
    assert any("DNAT" in rule for rule in fake.tables["nat"]["WHARF"])
    assert host.remove_port(port) == []
    assert fake.snapshot() == base
    assert host.remove_bridge(spec) == []
    assert fake.tables["filter"]["FORWARD"] == [("-j", "WHARF-USER"), ("-j", "WHARF-FORWARD")]
    assert not any("wbr-a" in " ".join(r) for chains in fake.tables.values()
                   for rules in chains.values() for r in rules)
    assert not any(argv[0] == "ip6tables" for argv in fake.calls)  # IPv6 rules switched off


def test_loopback_and_cross_family_ports_get_no_rules() -> None:
    _fake, host = _host()
    assert host.port_rules(PortMapping("tcp", "127.0.0.1", 1, "10.3.0.2", 80, "b")) is None
    assert host.port_rules(PortMapping("tcp", "::", 1, "10.3.0.2", 80, "b")) is None
    assert host.port_rules(PortMapping("tcp", "", 1, "10.3.0.2", 80, "b")) is not None


def test_base_chains_removed_behind_its_back_are_made_again() -> None:
    fake, host = _host()
    host.add_bridge(BridgeSpec("wbr-a", ("10.3.0.1/24",)))
    fake.tables = FakeIptables().tables  # another hand cleaned the host
    host.add_bridge(BridgeSpec("wbr-b", ("10.4.0.1/24",)))
    assert "WHARF-FORWARD" in fake.tables["filter"]
    assert any("wbr-b" in rule for rule in fake.tables["filter"]["WHARF-FORWARD"])
