"""Published ports: an HTTP server in a container reachable from the host through
``-p 127.0.0.1:X:80`` and through ``-P``'s ephemeral port; ``docker port``; a port already
allocated fails the start with Docker's message and leaves nothing behind."""

from __future__ import annotations

import json

from tests.integration.container_network.conftest import (
    containers,
    free_port,
    http_get,
    netns_files,
    out,
    unique,
)
from tests.support.daemons import Daemon

HTTPD = ["sh", "-c", "mkdir -p /www && echo hello-from-httpd > /www/index.html && "
         "exec httpd -f -p 80 -h /www"]


def test_httpd_through_a_loopback_published_port(wharfd: Daemon) -> None:
    port = free_port()
    with containers(wharfd) as made:
        name = unique("web")
        made.append(name)
        wharfd.docker("run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:80", "busybox",
                      *HTTPD)
        assert b"hello-from-httpd" in http_get(port)
        assert out(wharfd.docker("port", name)).splitlines() == [
            f"80/tcp -> 127.0.0.1:{port}"]


def test_publish_all_maps_exposed_ports_on_both_families(wharfd: Daemon) -> None:
    with containers(wharfd) as made:
        name = unique("pall")
        made.append(name)
        wharfd.docker("run", "-d", "--name", name, "-P", "--expose", "80", "busybox", *HTTPD)
        ports = json.loads(out(wharfd.docker("inspect", name)))[0]["NetworkSettings"]["Ports"]
        v4, v6 = ports["80/tcp"]
        assert (v4["HostIp"], v6["HostIp"]) == ("0.0.0.0", "::")
        assert v4["HostPort"] == v6["HostPort"]
        assert out(wharfd.docker("port", name, "80")).splitlines() == [
            f"0.0.0.0:{v4['HostPort']}", f"[::]:{v4['HostPort']}"]
        assert b"hello-from-httpd" in http_get(int(v4["HostPort"]))


def test_port_already_allocated_fails_the_start_and_leaves_nothing(wharfd: Daemon) -> None:
    port = free_port()
    with containers(wharfd) as made:
        first, second = unique("p1"), unique("p2")
        made += [first, second]
        wharfd.docker("run", "-d", "--name", first, "-p", f"127.0.0.1:{port}:80", "busybox",
                      "sleep", "60")
        before = netns_files(wharfd)
        res = wharfd.docker("run", "-d", "--name", second, "-p", f"127.0.0.1:{port}:80",
                            "busybox", "sleep", "60", check=False)
        assert res.returncode == 125
        assert b"port is already allocated" in res.stderr, res.stderr
        second_id = out(wharfd.docker("inspect", "-f", "{{.Id}}", second)).strip()
        assert second_id not in netns_files(wharfd)
        assert netns_files(wharfd) == before
        wharfd.docker("rm", "-f", first)
        port_free_again = unique("p3")
        made.append(port_free_again)
        wharfd.docker("run", "-d", "--name", port_free_again, "-p", f"127.0.0.1:{port}:80",
                      "busybox", "sleep", "60")
