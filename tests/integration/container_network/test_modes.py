"""``--network none`` has only lo; ``--network host`` sees the host's interfaces;
``container:<name>`` shares another's namespace; ``--add-host ...:host-gateway`` is the
default bridge's gateway; Docker's messages for bad network input."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.container_network.conftest import containers, out, unique, user_network
from tests.support.daemons import Daemon


def interface_names(proc_net_dev: str) -> set[str]:
    return {line.split(":")[0].strip() for line in proc_net_dev.splitlines()[2:] if ":" in line}


def test_none_has_only_loopback(wharfd: Daemon) -> None:
    dev = out(wharfd.docker("run", "--rm", "--network", "none", "busybox", "cat",
                            "/proc/net/dev"))
    assert interface_names(dev) == {"lo"}
    links = out(wharfd.docker("run", "--rm", "--network", "none", "busybox", "ip", "link"))
    assert "eth0" not in links


def test_host_sees_the_hosts_interfaces(wharfd: Daemon) -> None:
    dev = out(wharfd.docker("run", "--rm", "--network", "host", "busybox", "cat",
                            "/proc/net/dev"))
    assert interface_names(dev) == interface_names(Path("/proc/net/dev").read_text())
    name = unique("hostmode")
    with containers(wharfd) as made:
        made.append(name)
        wharfd.docker("create", "--name", name, "--network", "host", "busybox", "true")
        networks = json.loads(out(wharfd.docker("inspect", name)))[0]["NetworkSettings"]
        assert list(networks["Networks"]) == ["host"]


def test_container_mode_shares_the_other_namespace(wharfd: Daemon) -> None:
    with containers(wharfd) as made:
        first = unique("owner")
        made.append(first)
        wharfd.docker("run", "-d", "--name", first, "busybox", "sleep", "60")
        mine = out(wharfd.docker("exec", first, "cat", "/proc/net/dev"))
        shared = out(wharfd.docker("run", "--rm", "--network", f"container:{first}",
                                   "busybox", "cat", "/proc/net/dev"))
        assert interface_names(shared) == interface_names(mine) == {"lo", "eth0"}


def test_host_gateway_is_the_bridge_gateway(wharfd: Daemon) -> None:
    hosts = out(wharfd.docker("run", "--rm", "--add-host", "host.docker.internal:host-gateway",
                              "busybox", "cat", "/etc/hosts"))
    line = next(line for line in hosts.splitlines() if "host.docker.internal" in line)
    gateway = json.loads(out(wharfd.docker("network", "inspect", "bridge")))[0]["IPAM"][
        "Config"][0]["Gateway"]
    assert line.split()[0] == gateway
    res = wharfd.docker("run", "--rm", "--add-host", "host.docker.internal:host-gateway",
                        "busybox", "ping", "-c1", "-W2", "host.docker.internal", check=False)
    assert res.returncode == 0, res.stderr


def test_bad_network_input_gets_dockers_messages(wharfd: Daemon) -> None:
    res = wharfd.docker("run", "--rm", "--network", "nosuchnet", "busybox", "true",
                        check=False)
    assert res.returncode == 125 and b"network nosuchnet not found" in res.stderr
    res = wharfd.docker("run", "--rm", "--ip", "172.30.9.9", "busybox", "true", check=False)
    assert b"user specified IP address is supported on user defined networks only" in \
        res.stderr
    res = wharfd.docker("run", "--rm", "--network", "container:nosuch", "-h", "x", "busybox",
                        "true", check=False)
    assert b"conflicting options: hostname and the network mode" in res.stderr


def test_connect_and_disconnect_a_running_container(wharfd: Daemon) -> None:
    with user_network(wharfd) as net, containers(wharfd) as made:
        name, other = unique("conn"), unique("onnet")
        made += [name, other]
        wharfd.docker("run", "-d", "--name", other, "--network", net, "busybox", "sleep", "60")
        wharfd.docker("run", "-d", "--name", name, "busybox", "sleep", "60")
        wharfd.docker("network", "connect", "--alias", "later", net, name)
        dev = out(wharfd.docker("exec", name, "cat", "/proc/net/dev"))
        assert interface_names(dev) == {"lo", "eth0", "eth1"}
        res = wharfd.docker("exec", name, "ping", "-c1", "-W2", other, check=False)
        assert res.returncode == 0, (res.stdout, res.stderr)  # it has the resolver now
        res = wharfd.docker("network", "connect", net, name, check=False)
        assert b"already exists in network" in res.stderr
        res = wharfd.docker("run", "--rm", "--network", net, "busybox", "ping", "-c1", "-W2",
                            "later", check=False)
        assert res.returncode == 0, res.stderr
        wharfd.docker("network", "disconnect", net, name)
        dev = out(wharfd.docker("exec", name, "cat", "/proc/net/dev"))
        assert interface_names(dev) == {"lo", "eth0"}
