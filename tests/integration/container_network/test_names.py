"""Containers on a user-defined network find each other by name, alias and short id through
the embedded resolver; other names go to the upstream server (a fake one on loopback); on the
default bridge a container reaches another by its address."""

from __future__ import annotations

import json

import pytest
from tests.integration.container_network.conftest import (
    FakeUpstream,
    containers,
    free_port,
    host_has_ipv6_loopback,
    http_get,
    out,
    unique,
    user_network,
)
from tests.support.daemons import Daemon


def test_ping_by_name_alias_and_short_id_on_a_user_network(wharfd: Daemon) -> None:
    with user_network(wharfd) as net, containers(wharfd) as made:
        first = unique("test1")
        made.append(first)
        cid = out(wharfd.docker("run", "-d", "--name", first, "--network", net,
                                "--network-alias", "dbalias", "busybox", "sleep", "60")).strip()
        for target in (first, "dbalias", cid[:12]):
            res = wharfd.docker("run", "--rm", "--network", net, "busybox", "ping", "-c1",
                                "-W2", target, check=False)
            assert res.returncode == 0, (target, res.stdout, res.stderr, wharfd.log_tail())
        resolv = out(wharfd.docker("run", "--rm", "--network", net, "busybox", "cat",
                                   "/etc/resolv.conf"))
        assert "nameserver 127.0.0.11" in resolv
        settings = json.loads(out(wharfd.docker("inspect", first)))[0]["NetworkSettings"]
        assert settings["Networks"][net]["Aliases"] == ["dbalias"]
        assert cid[:12] in settings["Networks"][net]["DNSNames"]


def test_other_names_are_forwarded_to_the_upstream_server(wharfd: Daemon) -> None:
    with FakeUpstream("10.99.99.99") as upstream, user_network(wharfd) as net:
        res = wharfd.docker("run", "--rm", "--network", net, "--dns", upstream.address,
                            "busybox", "nslookup", "-type=a", "outside.example.test", check=False)
        assert "10.99.99.99" in out(res), (res.stdout, res.stderr, wharfd.log_tail())
        assert any(name.startswith("outside.example.test") for name in upstream.asked)


def test_default_bridge_reaches_another_container_by_address(wharfd: Daemon) -> None:
    with containers(wharfd) as made:
        first = unique("ip1")
        made.append(first)
        wharfd.docker("run", "-d", "--name", first, "busybox", "sleep", "60")
        settings = json.loads(out(wharfd.docker("inspect", first)))[0]["NetworkSettings"]
        address = settings["IPAddress"]
        assert address and settings["Networks"]["bridge"]["IPAddress"] == address
        res = wharfd.docker("run", "--rm", "busybox", "ping", "-c1", "-W2", address,
                            check=False)
        assert res.returncode == 0, (res.stdout, res.stderr)
        resolv = out(wharfd.docker("run", "--rm", "busybox", "cat", "/etc/resolv.conf"))
        assert "127.0.0.11" not in resolv


def test_legacy_link_on_the_default_bridge_is_in_etc_hosts(wharfd: Daemon) -> None:
    with containers(wharfd) as made:
        first = unique("linked")
        made.append(first)
        wharfd.docker("run", "-d", "--name", first, "busybox", "sleep", "60")
        hosts = out(wharfd.docker("run", "--rm", "--link", f"{first}:db", "busybox", "cat",
                                  "/etc/hosts"))
        line = next(line for line in hosts.splitlines() if "\tdb" in line or " db" in line)
        assert first in line
        res = wharfd.docker("run", "--rm", "--link", f"{first}:db", "busybox", "ping", "-c1",
                            "-W2", "db", check=False)
        assert res.returncode == 0, res.stderr


@pytest.mark.skipif(not host_has_ipv6_loopback(), reason="the host's loopback has no ::1")
def test_ipv6_network_names_and_a_port_on_ipv6_loopback(wharfd: Daemon) -> None:
    port = free_port()
    with user_network(wharfd, "--ipv6", "--subnet", "fd42:77:1::/64") as net, \
            containers(wharfd) as made:
        name = unique("v6web")
        made.append(name)
        wharfd.docker("run", "-d", "--name", name, "--network", net, "-p", f"[::1]:{port}:80",
                      "busybox", "sh", "-c", "mkdir -p /www && echo six > /www/index.html && "
                      "exec httpd -f -p 80 -h /www")
        endpoint = json.loads(out(wharfd.docker("inspect", name)))[0]["NetworkSettings"][
            "Networks"][net]
        assert endpoint["GlobalIPv6Address"].startswith("fd42:77:1::")
        res = wharfd.docker("run", "--rm", "--network", net, "busybox", "ping", "-6", "-c1",
                            "-W2", name, check=False)
        assert res.returncode == 0, res.stderr
        assert out(wharfd.docker("port", name)).splitlines() == [f"80/tcp -> [::1]:{port}"]
        assert b"six" in http_get(port, host="::1")


def test_a_restarted_container_is_found_again_and_stopped_shows_no_address(
        wharfd: Daemon) -> None:
    with user_network(wharfd) as net, containers(wharfd) as made:
        name = unique("again")
        made.append(name)
        wharfd.docker("run", "-d", "--name", name, "--network", net, "busybox", "sleep", "60")
        wharfd.docker("restart", "-t", "0", name)
        res = wharfd.docker("run", "--rm", "--network", net, "busybox", "ping", "-c1", "-W2",
                            name, check=False)
        assert res.returncode == 0, (res.stdout, res.stderr)
        wharfd.docker("stop", "-t", "0", name)
        settings = json.loads(out(wharfd.docker("inspect", name)))[0]["NetworkSettings"]
        assert settings["Networks"][net]["IPAddress"] == "" and settings["Ports"] == {}
        assert settings["SandboxKey"] == ""
        wharfd.docker("start", name)
        settings = json.loads(out(wharfd.docker("inspect", name)))[0]["NetworkSettings"]
        assert settings["Networks"][net]["IPAddress"]
