from __future__ import annotations

import pytest

from wharf.core.errors import InvalidParameter, Unavailable
from wharf.network.firewall_detect import (
    Backend,
    CommandOutput,
    Detection,
    detect_backend,
    iptables_flavour,
)

NOT_FOUND = CommandOutput(127, "", "not found")


class RecordedRunner:
    """Answers from recorded outputs; records what was asked."""

    def __init__(self, outputs: dict[str, CommandOutput]) -> None:
        self.outputs = outputs
        self.calls: list[list[str]] = []

    def run(self, argv: list[str], stdin: str = "") -> CommandOutput:
        self.calls.append(argv)
        return self.outputs.get(" ".join(argv), NOT_FOUND)


NFT_HOST = {
    "iptables --version": CommandOutput(0, "iptables v1.8.9 (nf_tables)\n"),
    "ip6tables --version": CommandOutput(0, "ip6tables v1.8.9 (nf_tables)\n"),
    "nft --version": CommandOutput(0, "nftables v1.0.6 (Lester Gooch #5)\n"),
}


def test_iptables_flavours() -> None:
    assert iptables_flavour("iptables v1.8.9 (nf_tables)") == (Backend.IPTABLES_NFT, "1.8.9")
    assert iptables_flavour("iptables v1.8.7 (legacy)\n") == (Backend.IPTABLES_LEGACY, "1.8.7")
    assert iptables_flavour("iptables v1.6.1") == (Backend.IPTABLES_LEGACY, "1.6.1")
    with pytest.raises(Unavailable):
        iptables_flavour("command not found")


def test_iptables_is_preferred_as_docker_does() -> None:
    runner = RecordedRunner(NFT_HOST)
    assert detect_backend(runner) == Detection(Backend.IPTABLES_NFT, "1.8.9", ipv6=True)
    assert ["nft", "--version"] not in runner.calls


def test_legacy_without_ip6tables() -> None:
    runner = RecordedRunner({"iptables --version": CommandOutput(0, "iptables v1.8.7 (legacy)")})
    assert detect_backend(runner) == Detection(Backend.IPTABLES_LEGACY, "1.8.7", ipv6=False)


def test_nftables_when_configured_or_when_iptables_is_missing() -> None:
    assert detect_backend(RecordedRunner(NFT_HOST), "nftables").backend is Backend.NFTABLES
    only_nft = RecordedRunner({"nft --version": NFT_HOST["nft --version"]})
    found = detect_backend(only_nft)
    assert (found.backend, found.version) == (Backend.NFTABLES, "1.0.6")


def test_nothing_found_or_bad_configuration() -> None:
    with pytest.raises(Unavailable):
        detect_backend(RecordedRunner({}))
    only_nft = RecordedRunner({"nft --version": NFT_HOST["nft --version"]})
    with pytest.raises(Unavailable, match="iptables not found"):
        detect_backend(only_nft, "iptables")
    with pytest.raises(InvalidParameter):
        detect_backend(RecordedRunner(NFT_HOST), "ufw")
