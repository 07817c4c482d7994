"""An in-memory iptables for the firewall tests: tables of chains of rule specs.

Understands -N -X -F -A -I -D -C -S with iptables' exit codes and error texts, so applying,
removing and sweeping can be checked against the state they leave. Nothing runs on the host.
"""

from __future__ import annotations

import shlex

from wharf.network.firewall_detect import CommandOutput

NO_CHAIN = CommandOutput(1, "", "iptables: No chain/target/match by that name.\n")
NO_RULE = CommandOutput(1, "", "iptables: Bad rule (does a matching rule exist in that chain?).\n")


class FakeIptables:
    def __init__(self) -> None:
        self.tables: dict[str, dict[str, list[tuple[str, ...]]]] = {
            "filter": {"INPUT": [], "FORWARD": [], "OUTPUT": []},
            "nat": {"PREROUTING": [], "OUTPUT": [], "POSTROUTING": []},
        }
        self.calls: list[list[str]] = []
        self.fail_on: str = ""  # a substring of a command line made to fail

    def snapshot(self) -> dict[str, dict[str, list[tuple[str, ...]]]]:
        return {t: {c: list(r) for c, r in chains.items()} for t, chains in self.tables.items()}

    def run(self, argv: list[str], stdin: str = "") -> CommandOutput:
        self.calls.append(argv)
        if self.fail_on and self.fail_on in " ".join(argv):
            return CommandOutput(4, "", "iptables: Resource temporarily unavailable.\n")
        assert argv[0] in ("iptables", "ip6tables") and argv[1] == "-t"
        chains = self.tables[argv[2]]
        op, chain, rest = argv[3], argv[4], tuple(argv[5:])
        if op == "-N":
            if chain in chains:
                return CommandOutput(1, "", "iptables: Chain already exists.\n")
            chains[chain] = []
            return CommandOutput(0)
        if chain not in chains:
            return NO_CHAIN
        return self._on_chain(chains, op, chain, rest)

    def _on_chain(
        self, chains: dict[str, list[tuple[str, ...]]], op: str, chain: str, rest: tuple[str, ...]
    ) -> CommandOutput:
        rules = chains[chain]
        if op == "-X":
            if rules or any(r[-1] == chain for rs in chains.values() for r in rs):
                return CommandOutput(1, "", "iptables: Directory not empty.\n")
            del chains[chain]
        elif op == "-F":
            rules.clear()
        elif op == "-A":
            rules.append(rest)
        elif op == "-I":
            rules.insert(int(rest[0]) - 1, rest[1:])
        elif op in ("-D", "-C"):
            if rest not in rules:
                return NO_RULE
            if op == "-D":
                rules.remove(rest)
        elif op == "-S":
            lines = [f"-P {chain} ACCEPT"] + [shlex.join(["-A", chain, *r]) for r in rules]
            return CommandOutput(0, "\n".join(lines) + "\n")
        else:
            raise AssertionError(f"unsupported {op}")
        return CommandOutput(0)
