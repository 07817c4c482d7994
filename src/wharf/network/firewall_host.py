"""The driver's firewall: which iptables rules a bridge or a published port needs, per IP
family, applied through :mod:`wharf.network.firewall` with a real command runner.

wharf's base chains and the jumps into them are shared by every wharfd on the host: made
idempotently (once per process), never removed. Each daemon adds and deletes only the rules
naming its own bridges. Loopback always goes through the userland proxy (wharf never turns on
``route_localnet``), so the OUTPUT jump skips 127.0.0.0/8 and ::1 whatever
``userland-proxy`` says.
"""

from __future__ import annotations

import ipaddress
import subprocess
import threading
from collections.abc import Callable

from wharf.core.errors import RuntimeFailure
from wharf.core.netspec import BridgeSpec, PortMapping
from wharf.network import firewall
from wharf.network.firewall_detect import CommandOutput, CommandRunner
from wharf.network.firewall_rules import (
    BridgeNet,
    RuleSet,
    base_rules,
    bridge_rules,
    published_port_rules,
    translated_port,
)

__all__ = ["HostFirewall", "SubprocessRunner"]

COMMAND_TIMEOUT = 30.0


class SubprocessRunner:
    """Runs firewall commands on the host (no shell)."""

    def run(self, argv: list[str], stdin: str = "") -> CommandOutput:
        try:
            done = subprocess.run(argv, input=stdin, capture_output=True, text=True,
                                  timeout=COMMAND_TIMEOUT, check=False)
        except FileNotFoundError:
            return CommandOutput(127, "", f"{argv[0]}: not found")
        return CommandOutput(done.returncode, done.stdout, done.stderr)


def _subnet(address: str) -> tuple[int, str]:
    iface = ipaddress.ip_interface(address)
    return iface.version, str(iface.network)


class HostFirewall:
    def __init__(self, runner: CommandRunner, *, ipv4: bool, ipv6: bool,
                 hairpin_nat: bool) -> None:
        self._runner = runner
        self._families = {4: ipv4, 6: ipv6}
        self._hairpin_nat = hairpin_nat  # no userland proxy: hairpin by NAT
        self._based: set[int] = set()
        self._lock = threading.Lock()

    def enabled(self, family: int) -> bool:
        return self._families.get(family, False)

    def _ensure_base(self, family: int) -> None:
        with self._lock:
            if family not in self._based:
                firewall.apply(self._runner, base_rules(family, userland_proxy=True))
                self._based.add(family)

    def _apply(self, rules: RuleSet) -> None:
        self._ensure_base(rules.family)
        try:
            firewall.apply(self._runner, rules)
        except RuntimeFailure:  # the shared base removed behind our back? make it, retry once
            with self._lock:
                self._based.discard(rules.family)
            self._ensure_base(rules.family)
            firewall.apply(self._runner, rules)

    def bridge_rule_sets(self, spec: BridgeSpec) -> list[RuleSet]:
        sets = []
        for address in spec.addresses:
            family, subnet = _subnet(address)
            if self.enabled(family):
                net = BridgeNet(spec.ifname, subnet, spec.internal, spec.icc, spec.user_defined,
                                spec.masquerade)
                sets.append(bridge_rules(net, userland_proxy=not self._hairpin_nat))
        return sets

    def add_bridge(self, spec: BridgeSpec) -> None:
        for rules in self.bridge_rule_sets(spec):
            self._apply(rules)

    def remove_bridge(self, spec: BridgeSpec) -> list[str]:
        failures: list[str] = []
        for rules in self.bridge_rule_sets(spec):
            failures += firewall.remove(self._runner, rules)
        return failures

    def port_rules(self, mapping: PortMapping) -> RuleSet | None:
        """DNAT, filter ACCEPT and hairpin for a published port; None where no rule applies
        (loopback host address, families that differ, a family switched off)."""
        found = translated_port(mapping, self.enabled)
        return published_port_rules(found[1]) if found else None

    def add_port(self, mapping: PortMapping) -> None:
        rules = self.port_rules(mapping)
        if rules is not None:
            self._apply(rules)

    def remove_port(self, mapping: PortMapping) -> list[str]:
        rules = self.port_rules(mapping)
        return [] if rules is None else firewall.remove(self._runner, rules)

    def sweep(self, doomed: Callable[[str], bool]) -> list[str]:
        failures: list[str] = []
        for family in (4, 6):
            if self.enabled(family):
                failures += firewall.sweep(self._runner, doomed, family)
        return failures
