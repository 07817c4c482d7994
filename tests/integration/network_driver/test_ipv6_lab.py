"""IPv6 end to end, inside a "lab" network namespace of the test's own: the driver runs from a
thread in the lab, so its "host" is the lab (bridge, ip6tables rules, proxy listeners: all
there) and the host's namespace never sees an IPv6 address of ours. Threads started from the
lab thread (the sandbox threads, the proxy's loop, iptables processes) inherit the lab."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from tests.integration.network_driver.netenv import PID, echo_once, make_lab

from wharf.core.netspec import BridgeSpec, EndpointSpec, PortMapping
from wharf.network import netns
from wharf.network.driver import BridgeDriver

V4 = "10.214.250."
V6 = f"fd77:{PID:x}::"


def _endpoint(number: int) -> EndpointSpec:
    return EndpointSpec("wtn6", "eth0", f"wtn6v{number}", f"02:42:0a:d6:fa:{number:02x}",
                        (f"{V4}{number}/24", f"{V6}{number}/64"), (f"{V4}1", f"{V6}1"))


def _exchange(address: tuple[str, int]) -> bytes:
    with socket.create_connection(address, timeout=5) as client:
        client.sendall(b"six")
        return client.recv(100)


def _scenario(tmp: Path) -> None:
    driver = BridgeDriver(tmp / "netns", ip_forward=False)
    spec = BridgeSpec("wtn6", (f"{V4}1/24", f"{V6}1/64"), enable_ipv6=True)
    plain = BridgeSpec("wtn4", ("10.214.251.1/24",))
    try:
        driver.ensure_bridge(spec)
        driver.ensure_bridge(plain)
        assert Path("/proc/sys/net/ipv6/conf/wtn6/disable_ipv6").read_text() == "0\n"
        assert Path("/proc/sys/net/ipv6/conf/wtn4/disable_ipv6").read_text() == "1\n"
        rules = subprocess.run(["ip6tables", "-t", "nat", "-S"], capture_output=True,
                               text=True, check=True).stdout
        assert f"-s {V6}/64 ! -o wtn6 -j MASQUERADE" in rules
        driver.create_sandbox("c1", [_endpoint(2)], dns=False)
        driver.create_sandbox("c2", [_endpoint(3)], dns=False)
        servers = {
            "v6": netns.run_in_netns(tmp / "netns/c2",
                                     lambda: socket.create_server((f"{V6}3", 8000),
                                                                  family=socket.AF_INET6)),
            "v4": netns.run_in_netns(tmp / "netns/c2",
                                     lambda: socket.create_server((f"{V4}3", 8004))),
        }
        for server in servers.values():
            server.settimeout(5)
        seen: list[str] = []
        thread = echo_once(servers["v6"], seen)
        assert netns.run_in_netns(tmp / "netns/c1", lambda: _exchange((f"{V6}3", 8000))) == b"SIX"
        thread.join(5)
        assert seen == [f"{V6}2"]
        ports = [PortMapping("tcp", "::1", 18000, f"{V6}3", 8000, "wtn6"),
                 PortMapping("tcp", "::", 18004, f"{V4}3", 8004, "wtn6")]
        driver.publish(ports)
        for (key, port), mapping in zip((("v6", 18000), ("v4", 18004)), ports, strict=True):
            seen.clear()
            thread = echo_once(servers[key], seen)
            assert _exchange(("::1", port)) == b"SIX", mapping
            thread.join(5)
            assert seen == [f"{V6}1" if key == "v6" else f"{V4}1"]
        driver.unpublish(ports)
        for server in servers.values():
            server.close()
    finally:
        driver.close()
        for name in ("c1", "c2"):
            driver.remove_sandbox(name)
        driver.remove_bridge(spec)
        driver.remove_bridge(plain)


def test_ipv6_bridge_sandboxes_and_published_ports_in_a_lab_namespace(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    make_lab(lab)
    try:
        netns.run_in_netns(lab, lambda: _scenario(tmp_path))
    finally:
        netns.remove(lab)
