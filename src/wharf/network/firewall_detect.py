"""Which firewall backend to drive, decided as Docker decides it, from command outputs.

Docker uses iptables unless told otherwise (``firewall-backend: nftables``); it asks
``iptables --version`` whether that binary is the nf_tables flavour (``iptables v1.8.9
(nf_tables)``) or the legacy one (``(legacy)``; versions before 1.8 print neither and are
legacy). With no iptables at all wharf falls back to ``nft`` when present. Commands run through
a :class:`CommandRunner` so tests feed recorded outputs and nothing touches the host.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from wharf.core.errors import InvalidParameter, Unavailable

__all__ = [
    "Backend",
    "CommandOutput",
    "CommandRunner",
    "Detection",
    "detect_backend",
    "iptables_flavour",
]


@dataclass(frozen=True)
class CommandOutput:
    """What one command printed; ``returncode`` 127 when the binary was not found."""

    returncode: int
    stdout: str = ""
    stderr: str = ""


class CommandRunner(Protocol):
    """Runs one command (no shell); ``stdin`` is fed to it (``nft -f -``)."""

    def run(self, argv: list[str], stdin: str = "") -> CommandOutput: ...


class Backend(enum.Enum):
    IPTABLES_NFT = "iptables-nft"
    IPTABLES_LEGACY = "iptables-legacy"
    NFTABLES = "nftables"

    @property
    def uses_iptables(self) -> bool:
        return self is not Backend.NFTABLES


@dataclass(frozen=True)
class Detection:
    backend: Backend
    version: str
    ipv6: bool  # ip6tables (or nft's ip6 family) usable


def iptables_flavour(version_output: str) -> tuple[Backend, str]:
    """``iptables v1.8.9 (nf_tables)`` → (IPTABLES_NFT, "1.8.9")."""
    words = version_output.split()
    if len(words) < 2 or words[0] not in ("iptables", "ip6tables") or words[1][:1] != "v":
        raise Unavailable(f"unrecognised iptables version output: {version_output.strip()!r}")
    version = words[1][1:]
    if "(nf_tables)" in words:
        return Backend.IPTABLES_NFT, version
    return Backend.IPTABLES_LEGACY, version


def _nft_version(runner: CommandRunner) -> str | None:
    out = runner.run(["nft", "--version"])
    if out.returncode != 0:
        return None
    words = out.stdout.split()
    return words[1].lstrip("v") if len(words) > 1 else ""


def _detect_iptables(runner: CommandRunner) -> Detection | None:
    out = runner.run(["iptables", "--version"])
    if out.returncode != 0:
        return None
    backend, version = iptables_flavour(out.stdout)
    ipv6 = runner.run(["ip6tables", "--version"]).returncode == 0
    return Detection(backend, version, ipv6)


def detect_backend(runner: CommandRunner, configured: str = "") -> Detection:
    """The backend for ``firewall-backend`` in daemon.json ("", "iptables" or "nftables")."""
    if configured not in ("", "iptables", "nftables"):
        raise InvalidParameter(f"invalid firewall-backend: {configured!r}")
    if configured != "nftables":
        found = _detect_iptables(runner)
        if found is not None:
            return found
        if configured == "iptables":
            raise Unavailable("iptables not found")
    version = _nft_version(runner)
    if version is None:
        raise Unavailable("neither iptables nor nft found: cannot set up NAT")
    return Detection(Backend.NFTABLES, version, ipv6=True)
