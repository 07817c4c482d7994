"""Everything a container's networking made goes with it, and a ``kill -9`` of wharfd is
swept at its next start: netns mounts, interfaces on the bridge, firewall rules."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.integration.container_network.conftest import (
    bridge_rules,
    free_port,
    http_get,
    interfaces_on,
    netns_files,
    out,
    unique,
)
from tests.support.daemons import (
    import_busybox,
    shut_down_wharfd,
    start_wharfd,
    sweep_shims,
)
from tests.support.daemons import test_bridge_name as bridge_of
from tests.support.scratch import scratch_dir


@pytest.fixture
def own_tmp() -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    with scratch_dir("wharf-netclean-") as tmp:
        yield tmp


def wait_for(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_removed_containers_leave_no_netns_veth_or_rule(own_tmp: Path) -> None:
    daemon = start_wharfd(own_tmp)
    try:
        import_busybox(daemon)
        port = free_port()
        name = unique("gone")
        daemon.docker("run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:80", "busybox",
                      "sleep", "60")
        bridge = bridge_of(own_tmp)
        assert len(interfaces_on(bridge)) == 1
        daemon.docker("rm", "-f", name)
        assert wait_for(lambda: not netns_files(daemon))
        assert wait_for(lambda: not interfaces_on(bridge))
        assert not [rule for rule in bridge_rules(bridge) if f"--dport {port}" in rule]
    finally:
        shut_down_wharfd(daemon, own_tmp)


def test_kill_9_of_wharfd_then_restart_sweeps_leftovers(own_tmp: Path) -> None:
    daemon = start_wharfd(own_tmp)
    try:
        import_busybox(daemon)
        port = free_port()
        name = unique("orphan")
        cid = out(daemon.docker("run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:80",
                                "busybox", "sleep", "600")).strip()
        assert cid in netns_files(daemon)
        daemon.proc.send_signal(signal.SIGKILL)
        daemon.proc.wait(10)
        sweep_shims(daemon.data_root)  # the container dies with its shim, unseen
        daemon = start_wharfd(own_tmp)
        bridge = bridge_of(own_tmp)
        assert wait_for(lambda: cid not in netns_files(daemon))
        assert wait_for(lambda: not interfaces_on(bridge))
        assert not [rule for rule in bridge_rules(bridge) if f"--dport {port}" in rule]
        again = unique("again")
        daemon.docker("run", "-d", "--name", again, "-p", f"127.0.0.1:{port}:80", "busybox",
                      "sleep", "60")
    finally:
        shut_down_wharfd(daemon, own_tmp)


def test_containers_that_outlive_a_kill_9_keep_names_ports_and_dns(own_tmp: Path) -> None:
    daemon = start_wharfd(own_tmp)
    try:
        import_busybox(daemon)
        port = free_port()
        net, web, peer = unique("knet"), unique("kweb"), unique("kpeer")
        daemon.docker("network", "create", net)
        daemon.docker("run", "-d", "--name", web, "--network", net, "-p",
                      f"127.0.0.1:{port}:80", "busybox", "sh", "-c",
                      "mkdir -p /www && echo survived > /www/index.html && "
                      "exec httpd -f -p 80 -h /www")
        daemon.docker("run", "-d", "--name", peer, "--network", net, "busybox", "sleep", "600")
        assert b"survived" in http_get(port)
        daemon.proc.send_signal(signal.SIGKILL)
        daemon.proc.wait(10)
        daemon = start_wharfd(own_tmp)
        assert b"survived" in http_get(port)
        res = daemon.docker("exec", peer, "ping", "-c1", "-W2", web, check=False)
        assert res.returncode == 0, (res.stdout, res.stderr, daemon.log_tail())
        res = daemon.docker("run", "--rm", "--network", net, "busybox", "ping", "-c1", "-W2",
                            peer, check=False)
        assert res.returncode == 0, (res.stdout, res.stderr)
        daemon.docker("rm", "-f", web, peer)
        daemon.docker("network", "rm", net)
    finally:
        shut_down_wharfd(daemon, own_tmp)
