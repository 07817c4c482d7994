"""Published ports through the proxy and DNAT rules into a real sandbox; conflicts; the
sweep removes an orphan sandbox and only the rules naming the test's bridges."""

from __future__ import annotations

import contextlib
import shlex
import socket
import subprocess
from collections.abc import Iterator

import pytest
from tests.integration.network_driver.netenv import PID, Net, free_third

from wharf.core.errors import Conflict
from wharf.core.netspec import PortMapping
from wharf.network import firewall
from wharf.network.firewall_host import SubprocessRunner
from wharf.network.firewall_rules import BridgeNet, bridge_rules


def _free_port() -> int:
    with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        tcp.bind(("0.0.0.0", 0))
        port = int(tcp.getsockname()[1])
        udp.bind(("0.0.0.0", port))  # free for both protocols
        return port


def _rules(table: str) -> list[str]:
    return subprocess.run(["iptables", "-t", table, "-S"], capture_output=True, text=True,
                          check=True).stdout.splitlines()


def _naming(name: str) -> list[str]:
    return [r for t in ("nat", "filter") for r in _rules(t) if name in shlex.split(r)]


def _publish(net: Net, mapping: PortMapping) -> None:
    net.driver.publish([mapping])
    net.published.append(mapping)


def test_tcp_published_on_all_addresses_reaches_the_sandbox_from_loopback(net: Net) -> None:
    net.sandbox("c1", [net.endpoint(2)])
    server = net.inside("c1", lambda: socket.create_server((f"{net.prefix}2", 80)))
    port = _free_port()
    mapping = PortMapping("tcp", "0.0.0.0", port, f"{net.prefix}2", 80, net.spec.ifname)
    with server:
        server.settimeout(5)
        _publish(net, mapping)
        assert any("DNAT" in r and f"{net.prefix}2:80" in r for r in _rules("nat"))
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            conn, peer = server.accept()
            with conn:
                client.sendall(b"ping")
                assert conn.recv(10) == b"ping"
                conn.sendall(b"pong")
                assert client.recv(10) == b"pong"
            assert peer[0] == f"{net.prefix}1"  # from the proxy, through the bridge
    net.driver.unpublish([mapping])
    net.published.remove(mapping)
    assert not any(f"{net.prefix}2:80" in r for r in _rules("nat"))
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_udp_published_on_loopback_is_relayed_both_ways(net: Net) -> None:
    net.sandbox("c1", [net.endpoint(2)])

    def bound() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((f"{net.prefix}2", 53))
        return sock

    port = _free_port()
    with net.inside("c1", bound) as inside, socket.socket(socket.AF_INET,
                                                          socket.SOCK_DGRAM) as client:
        inside.settimeout(5)
        client.settimeout(5)
        _publish(net, PortMapping("udp", "127.0.0.1", port, f"{net.prefix}2", 53,
                                  net.spec.ifname))
        assert not any(f"--dport {port}" in r for r in _rules("nat"))  # loopback: proxy only
        client.sendto(b"question", ("127.0.0.1", port))
        data, source = inside.recvfrom(100)
        assert data == b"question"
        inside.sendto(b"answer", source)
        assert client.recv(100) == b"answer"


def test_a_taken_port_is_a_conflict_and_publish_is_all_or_none(net: Net) -> None:
    net.sandbox("c1", [net.endpoint(2)])
    first, taken = _free_port(), _free_port()
    with socket.create_server(("127.0.0.1", taken)):
        ok = PortMapping("tcp", "0.0.0.0", first, f"{net.prefix}2", 80, net.spec.ifname)
        clash = PortMapping("tcp", "127.0.0.1", taken, f"{net.prefix}2", 81, net.spec.ifname)
        with pytest.raises(Conflict, match=rf"^Bind for 127.0.0.1:{taken} failed: port is "
                                           "already allocated$"):
            net.driver.publish([ok, clash])
    assert not any(f"--dport {first}" in r for r in _rules("nat"))  # the first one undone
    with socket.create_server(("0.0.0.0", first)):
        pass  # and its listener closed


@contextlib.contextmanager
def _decoys(bridge: str) -> Iterator[list[list[str]]]:
    """A test chain of our own with a rule naming the bridge, and a rule in wharf's shared
    WHARF-FORWARD naming an interface that exists and is not ours (lo)."""
    chain = f"WTN{PID}"
    adds = [["iptables", "-t", "filter", "-A", chain, "-i", bridge, "-j", "RETURN"],
            ["iptables", "-t", "filter", "-A", "WHARF-FORWARD", "-i", "lo", "-o", "lo",
             "-j", "RETURN"]]
    subprocess.run(["iptables", "-t", "filter", "-N", chain], check=True)
    try:
        for argv in adds:
            subprocess.run(argv, check=True)
        yield [[*argv[:3], "-C", *argv[4:]] for argv in adds]
    finally:
        for argv in adds:
            subprocess.run([*argv[:3], "-D", *argv[4:]], capture_output=True)
        subprocess.run(["iptables", "-t", "filter", "-X", chain], capture_output=True)


def test_sweep_removes_orphans_and_only_rules_of_own_or_vanished_bridges(net: Net) -> None:
    net.sandbox("live", [net.endpoint(2)])
    net.sandbox("orphan", [net.endpoint(3)])
    gone = f"wtn{PID}g"  # a bridge that no longer exists, its rules left by a crash
    gone_rules = bridge_rules(BridgeNet(gone, f"10.215.{free_third(215)}.0/24"))
    firewall.apply(SubprocessRunner(), gone_rules)
    net.extra_bridges.append(gone)
    assert _naming(net.spec.ifname) and _naming(gone)
    with _decoys(net.spec.ifname) as checks:
        failures = net.driver.sweep({"live"}, {net.spec.ifname})
        assert failures == []
        assert (net.netns_dir / "live").exists()
        assert not (net.netns_dir / "orphan").exists()
        assert _naming(net.spec.ifname) == [f"-A WTN{PID} -i {net.spec.ifname} -j RETURN"]
        assert _naming(gone) == []
        for argv in checks:
            assert subprocess.run(argv, capture_output=True).returncode == 0, argv
    assert subprocess.run(["iptables", "-t", "filter", "-S", "FORWARD"], capture_output=True,
                          text=True).stdout.count("WHARF-") == 2  # the shared jumps stay
    net.driver.ensure_bridge(net.spec)  # re-adds the bridge's rules
    assert len(_naming(net.spec.ifname)) == len(bridge_rules(
        BridgeNet(net.spec.ifname, f"{net.prefix}0/24")).rules)
