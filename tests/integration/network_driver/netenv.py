"""A real bridge of the test's own (``wtn<pid>``, a /24 of 10.214.0.0/16 chosen by pid that no
host route uses) and a BridgeDriver on a temporary netns directory; everything they made is
removed after, whatever the test did: sandboxes, published ports, the bridge and every
iptables rule naming it, and wharf's base chains when nothing else uses them."""

from __future__ import annotations

import contextlib
import os
import shlex
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pyroute2 import IPRoute
from tests.support.daemons import sweep_network_leftovers

from wharf.core.netspec import BridgeSpec, EndpointSpec, PortMapping
from wharf.network import firewall, netns
from wharf.network.driver import BridgeDriver
from wharf.network.endpoint import loopback_up
from wharf.network.firewall_host import SubprocessRunner
from wharf.network.firewall_rules import OWN_CHAINS, base_rules

T = TypeVar("T")
PID = os.getpid() % 100000


def host_routes() -> str:
    return subprocess.run(["ip", "-4", "route", "show", "table", "all"], capture_output=True,
                          text=True, check=True).stdout


def free_third(second: int) -> int:
    """A third octet of 10.<second>.x.0/24 that no host route mentions, chosen by pid."""
    routes = host_routes()
    for step in range(250):
        third = 1 + (PID + step) % 250
        if f"10.{second}.{third}." not in routes:
            return third
    raise AssertionError(f"no free /24 in 10.{second}.0.0/16")


def host_addresses() -> dict[str, list[str]]:
    """The addresses of the host's own interfaces (lo and eth0), which a test must never
    touch: a sandbox's address put there by mistake shows here."""
    with IPRoute() as ipr:
        found: dict[str, list[str]] = {}
        for link in ipr.get_links():
            name = link.get_attr("IFLA_IFNAME")
            if name in ("lo", "eth0"):
                found[name] = sorted(a.get_attr("IFA_ADDRESS")
                                     for a in ipr.get_addr(index=link["index"]))
        return found


@dataclass
class Net:
    driver: BridgeDriver
    spec: BridgeSpec
    prefix: str  # "10.214.N."
    netns_dir: Path
    sandboxes: set[str] = field(default_factory=set)
    published: list[PortMapping] = field(default_factory=list)
    extra_bridges: list[str] = field(default_factory=list)

    def endpoint(self, host_number: int, ifname: str = "eth0") -> EndpointSpec:
        return EndpointSpec(
            bridge=self.spec.ifname, ifname=ifname, host_ifname=f"wtn{PID}v{host_number}",
            mac=f"02:42:0a:d6:00:{host_number:02x}",
            addresses=(f"{self.prefix}{host_number}/24",), gateways=(f"{self.prefix}1",))

    def sandbox(self, name: str, endpoints: list[EndpointSpec], dns: bool = False) -> Any:
        self.sandboxes.add(name)
        return self.driver.create_sandbox(name, endpoints, dns)

    def inside(self, name: str, job: Callable[[], T]) -> T:
        return netns.run_in_netns(self.netns_dir / name, job)


def wharf_chains_present() -> bool:
    out = subprocess.run(["iptables", "-t", "filter", "-S", "WHARF-FORWARD"],
                         capture_output=True, text=True)
    return out.returncode == 0


def base_removed_if_unused() -> None:
    """wharf's base chains, made by this test, go when no rule in them names an interface
    (no wharfd of another test uses them)."""
    runner = SubprocessRunner()
    for table, chain in [("nat", "WHARF"), ("nat", "WHARF-POSTROUTING"),
                         *(("filter", c) for c in OWN_CHAINS if c != "WHARF-USER")]:
        listing = runner.run(["iptables", "-t", table, "-S", chain]).stdout
        for line in listing.splitlines():
            words = shlex.split(line)
            if "-i" in words or "-o" in words or "DNAT" in words:
                return
    firewall.remove(runner, base_rules(4))


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Net]:
    third = free_third(214)
    spec = BridgeSpec(f"wtn{PID}", (f"10.214.{third}.1/24",))
    chains_before = wharf_chains_present()
    netns_dir = tmp_path / "netns"
    before = host_addresses()
    driver = BridgeDriver(netns_dir, ip_forward=False)
    env = Net(driver, spec, f"10.214.{third}.", netns_dir)
    try:
        driver.ensure_bridge(spec)
        yield env
        assert host_addresses() == before
    finally:
        with contextlib.suppress(Exception):
            driver.unpublish(env.published)
        driver.close()
        for name in env.sandboxes:
            netns.remove(netns_dir / name)
        for name in netns.list_files(netns_dir):
            netns.remove(netns_dir / name)
        with contextlib.suppress(Exception):
            driver.remove_bridge(spec)
        for name in [spec.ifname, *env.extra_bridges]:
            sweep_network_leftovers(name)
        if not chains_before:
            base_removed_if_unused()


def connect_from(net: Net, name: str, address: tuple[str, int], data: bytes) -> bytes:
    """Connects from inside sandbox ``name``, sends ``data``, returns the answer."""

    def job() -> bytes:
        with socket.create_connection(address, timeout=5) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            return sock.recv(1024)

    return net.inside(name, job)


def make_lab(path: Path) -> None:
    """An empty namespace (lo up) at ``path``: a "host" of the test's own."""

    def setup(_host: object, _fd: int) -> None:
        with IPRoute() as inside:
            loopback_up(inside)

    netns.create(path, contextlib.nullcontext, setup)


def echo_once(server: socket.socket, seen: list[str]) -> threading.Thread:
    """Accept one connection on ``server`` in a thread: note the peer's address and send
    back what it sent, upper-cased."""
    def serve() -> None:
        conn, peer = server.accept()
        with conn:
            seen.append(peer[0])
            conn.sendall(conn.recv(1024).upper())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread
