"""Sandboxes on a real bridge: two reach each other over TCP, the DNS sockets are inside,
endpoints come and go on a running sandbox, removal takes the veth with it."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pyroute2 import IPRoute
from tests.integration.network_driver.netenv import PID, Net, connect_from, echo_once, free_third
from tests.unit.network.dns_wire import answer_rdatas, query_bytes

from wharf.core.netspec import BridgeSpec, EndpointSpec
from wharf.network import bridge, netns
from wharf.network.dns_names import Endpoint, NameResolver, NetworkNames
from wharf.network.dns_server import DnsResponder, DnsServer, ForwardSettings


def _interfaces_inside() -> dict[str, tuple[str, list[str]]]:
    """name → (MAC, addresses), read with an IPRoute opened in the calling thread."""
    with IPRoute() as ipr:
        found = {}
        for link in ipr.get_links():
            addresses = [f"{a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}"
                         for a in ipr.get_addr(index=link["index"])]
            found[link.get_attr("IFLA_IFNAME")] = (link.get_attr("IFLA_ADDRESS"), addresses)
        return found


def _listener(address: tuple[str, int]) -> socket.socket:
    sock = socket.create_server(address)
    sock.settimeout(5)
    return sock


def test_two_sandboxes_reach_each_other_and_the_host_is_untouched(net: Net) -> None:
    first, second = net.endpoint(2), net.endpoint(3)
    started = time.perf_counter()
    made = net.sandbox("c1", [first], dns=True)
    elapsed = time.perf_counter() - started
    net.sandbox("c2", [second])
    print(f"create_sandbox (1 endpoint + dns): {elapsed * 1000:.1f} ms")
    assert made.netns_path == str(net.netns_dir / "c1")
    inside = net.inside("c1", _interfaces_inside)
    assert sorted(inside) == ["eth0", "lo"]
    assert inside["eth0"][0] == first.mac
    assert inside["eth0"][1] == [f"{net.prefix}2/24"]  # IPv4-only: no link-local IPv6
    for host_side in (first.host_ifname, second.host_ifname):  # on the bridge, on the host
        assert Path(f"/sys/class/net/{host_side}/master").resolve().name == net.spec.ifname
    server = net.inside("c2", lambda: _listener((f"{net.prefix}3", 8000)))
    with server:
        seen: list[str] = []
        thread = echo_once(server, seen)
        assert connect_from(net, "c1", (f"{net.prefix}3", 8000), b"hi") == b"HI"
        thread.join(5)
    assert seen == [f"{net.prefix}2"]
    for sock in made.dns_sockets:
        sock.close()


def test_dns_sockets_receive_from_inside_the_sandbox(net: Net) -> None:
    made = net.sandbox("c1", [net.endpoint(2)], dns=True)
    udp, tcp = made.dns_sockets
    try:
        assert udp.getsockname() == ("127.0.0.11", 53) == tcp.getsockname()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.11", 53))  # bound inside: the host's port is still free

        def ask() -> None:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
                client.sendto(b"query", ("127.0.0.11", 53))
            socket.create_connection(("127.0.0.11", 53), timeout=5).close()

        net.inside("c1", ask)
        udp.settimeout(5)
        tcp.settimeout(5)
        assert udp.recvfrom(100)[0] == b"query"
        tcp.accept()[0].close()
    finally:
        udp.close()
        tcp.close()


def test_remove_sandbox_takes_the_veth_with_it(net: Net) -> None:
    endpoint = net.endpoint(4)
    net.sandbox("c1", [endpoint])
    veth = Path("/sys/class/net") / endpoint.host_ifname
    assert veth.exists()
    started = time.perf_counter()
    net.driver.remove_sandbox("c1")
    print(f"remove_sandbox: {(time.perf_counter() - started) * 1000:.1f} ms")
    assert not (net.netns_dir / "c1").exists()
    deadline = time.monotonic() + 5
    while veth.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    print(f"veth gone after {(time.perf_counter() - started) * 1000:.1f} ms")
    assert not veth.exists()
    net.driver.remove_sandbox("c1")  # already gone: fine


def test_connect_and_disconnect_a_running_sandbox(net: Net) -> None:
    third = free_third(215)
    other = BridgeSpec(f"wtn{PID}b", (f"10.215.{third}.1/24",))
    net.extra_bridges.append(other.ifname)
    net.driver.ensure_bridge(other)
    try:
        net.sandbox("c1", [net.endpoint(2)])
        extra = EndpointSpec(other.ifname, "eth1", f"wtn{PID}x5", "02:42:0a:d7:00:05",
                             (f"10.215.{third}.5/24",))
        net.driver.connect("c1", extra)
        inside = net.inside("c1", _interfaces_inside)
        assert inside["eth1"][0] == extra.mac
        assert f"10.215.{third}.5/24" in inside["eth1"][1]
        assert Path(f"/sys/class/net/{extra.host_ifname}/master").resolve().name == other.ifname
        net.driver.disconnect("c1", extra)
        assert "eth1" not in net.inside("c1", _interfaces_inside)
        assert not Path(f"/sys/class/net/{extra.host_ifname}").exists()
        net.driver.disconnect("c1", extra)  # already gone: fine
    finally:
        net.driver.remove_bridge(other)
    assert not bridge.interface_exists(other.ifname)


def test_embedded_dns_answers_a_query_asked_inside_the_sandbox(net: Net) -> None:
    made = net.sandbox("c1", [net.endpoint(2)], dns=True)
    names = NetworkNames("n")
    names.attach(Endpoint("a" * 64, "web", (), ipaddress.IPv4Address(f"{net.prefix}3")))
    names.attach(Endpoint("b" * 64, "asker", (), ipaddress.IPv4Address(f"{net.prefix}2")))
    resolver = NameResolver({"n": names})
    responder = DnsResponder(lambda q, _c: resolver.decide("b" * 64, q.name, q.qtype),
                             ForwardSettings())
    query = query_bytes("web", ident=99)

    def ask() -> bytes:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.settimeout(5)
            client.sendto(query, ("127.0.0.11", 53))
            return client.recv(512)

    async def scenario() -> bytes:
        server = DnsServer(responder)
        await server.serve(made.dns_sockets)
        try:
            return await asyncio.to_thread(net.inside, "c1", ask)
        finally:
            await server.close()

    answer = asyncio.run(asyncio.wait_for(scenario(), 10))
    assert answer_rdatas(answer, len(query) - 12) == [
        (1, ipaddress.IPv4Address(f"{net.prefix}3").packed)]


def test_dns_sockets_bound_again_in_a_running_sandbox(net: Net) -> None:
    first = net.sandbox("c1", [net.endpoint(2)], dns=True).dns_sockets
    for sock in first:
        sock.close()  # the daemon that served them is gone
    udp, tcp = net.driver.bind_dns("c1")
    with udp, tcp:
        net.inside("c1", lambda: _send_datagram(b"again", ("127.0.0.11", 53)))
        udp.settimeout(5)
        assert udp.recvfrom(100)[0] == b"again"


def _send_datagram(data: bytes, address: tuple[str, int]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(data, address)


def test_sandboxes_made_and_removed_in_parallel(net: Net) -> None:
    endpoints = {f"p{n}": net.endpoint(10 + n) for n in range(20)}

    def make(name: str) -> None:
        net.sandbox(name, [endpoints[name]])

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(make, endpoints))
    print(f"20 sandboxes, 8 threads: {(time.perf_counter() - started) * 1000:.1f} ms")
    on_bridge = {p.name for p in Path(f"/sys/class/net/{net.spec.ifname}/brif").iterdir()}
    assert {e.host_ifname for e in endpoints.values()} <= on_bridge
    for name, endpoint in endpoints.items():
        inside = net.inside(name, _interfaces_inside)
        assert inside["eth0"] == (endpoint.mac, [endpoint.addresses[0]])
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(net.driver.remove_sandbox, endpoints))
    assert netns.list_files(net.netns_dir) == []
