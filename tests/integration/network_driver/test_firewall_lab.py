"""Both firewall backends for real, inside a lab namespace of the test's own (its iptables and
nftables rules are the lab's, gone with it): DNAT of a published port reaches the sandbox, the
proxy serves loopback, unpublish takes the rules away, the sweep deletes only the rules of own
or vanished bridges and ensure_bridge puts them back."""

from __future__ import annotations

import socket
import subprocess
import threading
from pathlib import Path

import pytest
from tests.integration.network_driver.netenv import make_lab

from wharf.core.netspec import BridgeSpec, EndpointSpec, PortMapping
from wharf.network import netns
from wharf.network.driver import BridgeDriver
from wharf.network.firewall_nft import ruleset_text, user_table_text
from wharf.network.firewall_rules import BridgeNet, PublishedPort

PREFIX = "10.214.252."


def _rules(backend: str) -> str:
    if backend == "nftables":
        argv = [["nft", "list", "ruleset"]]
    else:
        argv = [["iptables", "-t", table, "-S"] for table in ("nat", "filter")]
    return "".join(subprocess.run(a, capture_output=True, text=True, check=True).stdout
                   for a in argv)


def _answer_once(server: socket.socket) -> threading.Thread:
    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(conn.recv(100).upper())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def _exchange(server: socket.socket, address: tuple[str, int]) -> bytes:
    thread = _answer_once(server)
    with socket.create_connection(address, timeout=5) as client:
        client.sendall(b"nat")
        answer = client.recv(100)
    thread.join(5)
    return answer


def _scenario(tmp: Path, backend: str) -> None:
    driver = BridgeDriver(tmp / "netns", ip_forward=False, userland_proxy=False,
                          firewall_backend=backend)
    spec = BridgeSpec("wtnlab", (f"{PREFIX}1/24",))
    endpoint = EndpointSpec("wtnlab", "eth0", "wtnlabv2", "02:42:0a:d6:fc:02",
                            (f"{PREFIX}2/24",), (f"{PREFIX}1",))
    port = PortMapping("tcp", "0.0.0.0", 18080, f"{PREFIX}2", 80, "wtnlab")
    try:
        driver.ensure_bridge(spec)
        driver.create_sandbox("c1", [endpoint], dns=False)
        server = netns.run_in_netns(tmp / "netns/c1",
                                    lambda: socket.create_server((f"{PREFIX}2", 80)))
        server.settimeout(5)
        driver.publish([port])
        assert f"{PREFIX}2:80" in _rules(backend)
        assert _exchange(server, (f"{PREFIX}1", 18080)) == b"NAT"  # DNAT: no proxy there
        assert _exchange(server, ("127.0.0.1", 18080)) == b"NAT"  # loopback: the proxy
        driver.unpublish([port])
        assert f"{PREFIX}2:80" not in _rules(backend)
        server.close()
        _sweep(driver, spec, backend)
    finally:
        driver.close()
        driver.remove_sandbox("c1")
        driver.remove_bridge(spec)


def _sweep(driver: BridgeDriver, spec: BridgeSpec, backend: str) -> None:
    gone = BridgeSpec("wtngone", ("10.214.253.1/24",))
    other = BridgeSpec("lo", ("127.0.0.1/8",))  # exists, not ours: its rules must stay
    assert driver._firewall is not None
    driver._firewall.add_bridge(gone)
    driver._firewall.add_bridge(other)
    before = _rules(backend)
    assert "wtngone" in before and "wtnlab" in before
    assert driver.sweep(set(), {"wtnlab"}) == []
    after = _rules(backend)
    assert "wtngone" not in after and "wtnlab" not in after
    assert after.count('"lo"' if backend == "nftables" else " lo ") == before.count(
        '"lo"' if backend == "nftables" else " lo ")
    driver.ensure_bridge(spec)
    assert "wtnlab" in _rules(backend)
    driver._firewall.remove_bridge(other)


@pytest.mark.parametrize("backend", ["iptables", "nftables"])
def test_published_port_by_dnat_and_scoped_sweep_in_a_lab(tmp_path: Path, backend: str) -> None:
    lab = tmp_path / "lab"
    make_lab(lab)
    try:
        netns.run_in_netns(lab, lambda: _scenario(tmp_path, backend))
    finally:
        netns.remove(lab)


def test_the_whole_table_text_is_accepted_by_nft(tmp_path: Path) -> None:
    bridges = [BridgeNet("br0", "10.1.0.0/24"), BridgeNet("br6", "fd00:1::/64", internal=True)]
    ports = [PublishedPort("br0", "10.1.0.2", 80, "tcp", "", 8080)]
    lab = tmp_path / "lab"
    make_lab(lab)
    try:
        for family in (4, 6):
            text = ruleset_text(family, bridges, ports) + user_table_text(family)
            out = netns.run_in_netns(lab, lambda t=text: subprocess.run(
                ["nft", "-c", "-f", "-"], input=t, capture_output=True, text=True))
            assert out.returncode == 0, out.stderr
    finally:
        netns.remove(lab)
