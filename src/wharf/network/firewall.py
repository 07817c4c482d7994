"""Applying, removing and sweeping wharf's firewall rules through a :class:`CommandRunner`.

``apply`` is idempotent (a rule already there, checked with ``-C``, is left and not counted
as added) and all-or-nothing (a failure deletes what this call added). ``remove`` tolerates
rules already gone. ``sweep`` is for daemon start, after a crash: built-in chains hold only
jumps into wharf's chains (:mod:`wharf.network.firewall_rules`), so it deletes those jumps, as
listed by ``iptables -S``, then flushes and removes wharf's own chains. No other chain is
ever flushed or removed. nftables: :func:`apply_nft` loads a whole ``wharf`` table at once.
"""

from __future__ import annotations

import contextlib
import ipaddress
import shlex
from collections.abc import Callable

from wharf.core.errors import RuntimeFailure
from wharf.network.firewall_detect import CommandOutput, CommandRunner
from wharf.network.firewall_rules import FILTER_CHAINS, NAT_CHAINS, POSTROUTING, RuleSet

__all__ = ["apply", "apply_nft", "remove", "sweep", "sweep_commands", "sweep_nft"]

# wharf's chains that hold per-bridge rules (WHARF-USER is the admin's: never swept)
SWEPT = {"nat": NAT_CHAINS, "filter": tuple(c for c in FILTER_CHAINS if c != "WHARF-USER")}
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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


def _interfaces(words: list[str]) -> list[str]:
    """The interface names a rule matches on (``-i``/``-o``, negated or not)."""
    return [words[i + 1] for i, word in enumerate(words[:-1]) if word in ("-i", "-o")]


def _value(words: list[str], flag: str) -> str:
    return words[words.index(flag) + 1] if flag in words[:-1] else ""


def _in_any(cidr: str, subnets: list[IPNetwork]) -> bool:
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return any(network.version == s.version and network.subnet_of(s) for s in subnets)  # type: ignore[arg-type]


def sweep_commands(binary: str, listings: dict[tuple[str, str], str],
                   doomed: Callable[[str], bool]) -> list[list[str]]:
    """Deletes for the rules in wharf's chains (``iptables -t T -S CHAIN`` outputs keyed
    (table, chain)) that name a ``doomed`` interface, and for the hairpin masquerades of
    container addresses in the subnets those rules name. Nothing else: other daemons' rules
    stay, and no chain is flushed or removed."""
    rules = []
    for (table, chain), listing in listings.items():
        for line in listing.splitlines():
            words = shlex.split(line)
            if len(words) > 2 and words[:2] == ["-A", chain]:
                rules.append((table, chain, words[2:]))
    subnets: list[IPNetwork] = []
    commands: list[list[str]] = []
    for table, chain, spec in rules:
        if any(doomed(name) for name in _interfaces(spec)):
            commands.append([binary, "-t", table, "-D", chain, *spec])
            for flag in ("-s", "-d"):
                with contextlib.suppress(ValueError):
                    subnets.append(ipaddress.ip_network(_value(spec, flag)))
    for table, chain, spec in rules:
        hairpin = chain == POSTROUTING and "MASQUERADE" in spec and not _interfaces(spec)
        if hairpin and _value(spec, "-s") == _value(spec, "-d") and _in_any(
                _value(spec, "-s"), [s for s in subnets if s.num_addresses > 1]):
            commands.append([binary, "-t", table, "-D", chain, *spec])
    return commands


def sweep(runner: CommandRunner, doomed: Callable[[str], bool], family: int = 4) -> list[str]:
    """Deletes wharf's rules that name a ``doomed`` bridge (daemon start: this daemon's own,
    re-added by their networks, and those of bridges gone); returns the failures."""
    binary = "ip6tables" if family == 6 else "iptables"
    listings = {}
    for table, chains in SWEPT.items():
        for chain in chains:
            out = runner.run([binary, "-t", table, "-S", chain])
            if out.returncode == 0:
                listings[(table, chain)] = out.stdout
    return _run_tolerant(runner, sweep_commands(binary, listings, doomed))


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
