"""Applying, removing and sweeping wharf's firewall rules through a :class:`CommandRunner`.

``apply`` is idempotent (a rule already there, checked with ``-C``, is left and not counted
as added) and all-or-nothing (a failure deletes what this call added). ``remove`` tolerates
rules already gone. ``sweep`` is for daemon start, after a crash: built-in chains hold only
jumps into wharf's chains (:mod:`wharf.network.firewall_rules`), so it deletes those jumps, as
listed by ``iptables -S``, then flushes and removes wharf's own chains. No other chain is
ever flushed or removed. nftables: :func:`apply_nft` loads a whole ``wharf`` table at once.
"""

from __future__ import annotations

import shlex

from wharf.core.errors import RuntimeFailure
from wharf.network.firewall_detect import CommandOutput, CommandRunner
from wharf.network.firewall_rules import FILTER_CHAINS, NAT_CHAINS, OWN_CHAINS, RuleSet

__all__ = ["apply", "apply_nft", "remove", "sweep", "sweep_commands", "sweep_nft"]

BUILTIN = {"nat": ("PREROUTING", "OUTPUT", "POSTROUTING"), "filter": ("FORWARD",)}


def _failure(argv: list[str], out: CommandOutput) -> RuntimeFailure:
    detail = (out.stderr or out.stdout).strip()
    return RuntimeFailure(f"{shlex.join(argv)}: exit status {out.returncode}: {detail}")


def apply(runner: CommandRunner, rules: RuleSet) -> None:
    """Create wharf's chains and add the rules missing; undo this call's work on failure."""
    undo: list[list[str]] = []
    try:
        for table, chain in rules.chains:
            argv = [rules.binary, "-t", table, "-N", chain]
            out = runner.run(argv)
            if out.returncode == 0:
                undo.append([rules.binary, "-t", table, "-X", chain])
            elif "already exists" not in out.stderr:
                raise _failure(argv, out)
        for rule in rules.rules:
            if runner.run(rule.check_argv(rules.binary)).returncode == 0:
                continue
            argv = rule.add_argv(rules.binary)
            out = runner.run(argv)
            if out.returncode != 0:
                raise _failure(argv, out)
            undo.append(rule.delete_argv(rules.binary))
    except RuntimeFailure:
        for argv in reversed(undo):
            runner.run(argv)
        raise


def remove(runner: CommandRunner, rules: RuleSet) -> list[str]:
    """Run the undo of ``rules``; returns the failures (a rule already gone is not one)."""
    return _run_tolerant(runner, rules.delete_commands())


def _run_tolerant(runner: CommandRunner, commands: list[list[str]]) -> list[str]:
    failures = []
    for argv in commands:
        out = runner.run(argv)
        if out.returncode != 0 and not _is_absent(out.stderr):
            failures.append(str(_failure(argv, out)))
    return failures


def _is_absent(stderr: str) -> bool:
    text = stderr.lower()
    return any(
        phrase in text
        for phrase in ("does a matching rule exist", "no chain/target/match", "bad rule")
    )


def sweep_commands(binary: str, listings: dict[tuple[str, str], str]) -> list[list[str]]:
    """Deletes for the jumps into wharf's chains found in ``iptables -t T -S CHAIN`` outputs,
    keyed (table, chain); then flush and removal of every wharf chain."""
    commands: list[list[str]] = []
    for (table, chain), listing in listings.items():
        for line in listing.splitlines():
            words = shlex.split(line)
            if len(words) < 4 or words[:2] != ["-A", chain] or words[-2] != "-j":
                continue
            if words[-1] in OWN_CHAINS:
                commands.append([binary, "-t", table, "-D", chain, *words[2:]])
    own = [("nat", c) for c in NAT_CHAINS] + [("filter", c) for c in FILTER_CHAINS]
    commands += [[binary, "-t", t, "-F", c] for t, c in own]
    commands += [[binary, "-t", t, "-X", c] for t, c in own]
    return commands


def sweep(runner: CommandRunner, family: int = 4) -> list[str]:
    """Remove every rule and chain of wharf's (daemon start); returns the failures."""
    binary = "ip6tables" if family == 6 else "iptables"
    listings = {}
    for table, chains in BUILTIN.items():
        for chain in chains:
            out = runner.run([binary, "-t", table, "-S", chain])
            if out.returncode == 0:
                listings[(table, chain)] = out.stdout
    return _run_tolerant(runner, sweep_commands(binary, listings))


def apply_nft(runner: CommandRunner, ruleset_text: str) -> None:
    """Load a ruleset from :mod:`wharf.network.firewall_nft` in one transaction."""
    argv = ["nft", "-f", "-"]
    out = runner.run(argv, ruleset_text)
    if out.returncode != 0:
        raise _failure(argv, out)


def sweep_nft(runner: CommandRunner) -> list[str]:
    """Delete wharf's ``ip``/``ip6`` tables (not the admin's ``wharf-user``); absent is fine."""
    failures = []
    for family in ("ip", "ip6"):
        argv = ["nft", "delete", "table", family, "wharf"]
        out = runner.run(argv)
        if out.returncode != 0 and "No such file or directory" not in out.stderr:
            failures.append(str(_failure(argv, out)))
    return failures
