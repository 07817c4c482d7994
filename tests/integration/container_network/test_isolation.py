"""What separates networks (Docker's isolation between user-defined networks, ``--internal``
with no way out), a network with endpoints that cannot be removed, and a container talking
to wharfd through the bind-mounted socket (testcontainers' Ryuk pattern). Traffic only to the
test's own containers."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from tests.integration.container_network.conftest import containers, out, unique, user_network
from tests.support.daemons import Daemon


def run_sleeper(daemon: Daemon, made: list[str], network: str, *args: str) -> str:
    name = unique("iso")
    made.append(name)
    daemon.docker("run", "-d", "--name", name, "--network", network, *args, "busybox",
                  "sleep", "120")
    return name


def address_of(daemon: Daemon, name: str, network: str) -> str:
    settings = json.loads(out(daemon.docker("inspect", name)))[0]["NetworkSettings"]
    return str(settings["Networks"][network]["IPAddress"])


def pings(daemon: Daemon, name: str, address: str) -> bool:
    return daemon.docker("exec", name, "ping", "-c1", "-W1", address, check=False).returncode == 0


def test_user_networks_are_isolated_from_each_other(wharfd: Daemon) -> None:
    with user_network(wharfd) as first, user_network(wharfd) as second, \
            containers(wharfd) as made:
        a = run_sleeper(wharfd, made, first)
        neighbour = run_sleeper(wharfd, made, first)
        b = run_sleeper(wharfd, made, second)
        assert pings(wharfd, a, address_of(wharfd, neighbour, first)), wharfd.log_tail()
        assert not pings(wharfd, a, address_of(wharfd, b, second))
        assert not pings(wharfd, b, address_of(wharfd, a, first))


def test_an_internal_network_has_no_route_out(wharfd: Daemon) -> None:
    with user_network(wharfd, "--internal") as internal, user_network(wharfd) as other, \
            containers(wharfd) as made:
        inside = run_sleeper(wharfd, made, internal)
        peer = run_sleeper(wharfd, made, internal)
        outside = run_sleeper(wharfd, made, other)
        routes = out(wharfd.docker("exec", inside, "ip", "route"))
        assert "default" not in routes, routes
        assert pings(wharfd, inside, address_of(wharfd, peer, internal))
        assert not pings(wharfd, inside, address_of(wharfd, outside, other))
        inspected = json.loads(out(wharfd.docker("network", "inspect", internal)))[0]
        assert inspected["Internal"] is True


def test_a_network_with_endpoints_is_not_removed(wharfd: Daemon) -> None:
    with user_network(wharfd) as net, containers(wharfd) as made:
        run_sleeper(wharfd, made, net)
        res = wharfd.docker("network", "rm", net, check=False)
        assert res.returncode != 0
        assert b"has active endpoints" in res.stderr, res.stderr
        assert wharfd.docker("network", "inspect", net, check=False).returncode == 0


def test_a_container_reaches_wharfd_through_the_mounted_socket(wharfd: Daemon) -> None:
    with containers(wharfd) as made:
        name = run_sleeper(wharfd, made, "bridge", "-v",
                           f"{wharfd.socket_path}:/var/run/docker.sock")
        assert wharfd.docker("exec", name, "test", "-S", "/var/run/docker.sock").returncode == 0
        pid = json.loads(out(wharfd.docker("inspect", name)))[0]["State"]["Pid"]
        inside = Path(f"/proc/{pid}/root/var/run/docker.sock")  # the container's own view
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(10)
            sock.connect(str(inside))
            sock.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            reply = b""
            while chunk := sock.recv(4096):
                reply += chunk
        assert reply.startswith(b"HTTP/1.0 200") and reply.endswith(b"OK"), reply
