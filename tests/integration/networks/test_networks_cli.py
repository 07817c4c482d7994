"""``docker network ...`` (the stock CLI) and ``wharf network ...`` against a real wharfd."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.integration.networks.conftest import NetworkNames, free_subnet
from tests.support.daemons import Daemon

WHARF = str(Path(sys.executable).parent / "wharf")


def wharf(daemon: Daemon, *args: str, stdin: bytes | None = None
          ) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([WHARF, *args], env=daemon.docker_env(), input=stdin,
                          capture_output=True, timeout=60)


def test_docker_cli_create_ls_inspect_rm(wharfd: Daemon, names: NetworkNames) -> None:
    name = names.new("dk")
    network_id = wharfd.docker("network", "create", "-d", "bridge", name).stdout.decode().strip()
    assert len(network_id) == 64
    assert Path(f"/sys/class/net/wbr-{network_id[:11]}").exists()
    table = wharfd.docker("network", "ls").stdout.decode().splitlines()
    assert table[0].split() == ["NETWORK", "ID", "NAME", "DRIVER", "SCOPE"]
    assert f"{network_id[:12]}   {name}" in "\n".join(table)
    quiet = wharfd.docker("network", "ls", "-q", "--filter", f"name={name}").stdout.decode()
    assert quiet.split() == [network_id[:12]]
    inspected = json.loads(wharfd.docker("network", "inspect", name).stdout)
    assert inspected[0]["Id"] == network_id and inspected[0]["Driver"] == "bridge"
    assert wharfd.docker("network", "inspect", "-f", "{{.Name}}", network_id[:12]
                         ).stdout.decode().strip() == name
    assert wharfd.docker("network", "rm", name).stdout.decode().strip() == name
    assert not Path(f"/sys/class/net/wbr-{network_id[:11]}").exists()
    missing = wharfd.docker("network", "rm", name, check=False)
    assert missing.returncode == 1
    assert f"network {name} not found" in missing.stderr.decode()


def test_docker_cli_errors(wharfd: Daemon, names: NetworkNames) -> None:
    subnet = free_subnet()
    wharfd.docker("network", "create", "--subnet", subnet, names.new("a"))
    overlap = wharfd.docker("network", "create", "--subnet", subnet, names.new("b"),
                            check=False)
    assert overlap.returncode == 1
    assert overlap.stderr.decode().strip() == (
        "Error response from daemon: invalid pool request: Pool overlaps with other one on "
        "this address space")
    predefined = wharfd.docker("network", "rm", "none", check=False)
    assert "none is a pre-defined network and cannot be removed" in predefined.stderr.decode()


def test_wharf_cli(wharfd: Daemon, names: NetworkNames) -> None:
    name = names.new("wh")
    subnet = free_subnet()
    made = wharf(wharfd, "network", "create", "--subnet", subnet, "--label", "x=y",
                 "-o", "com.docker.network.driver.mtu=1400", name)
    assert made.returncode == 0, made.stderr
    network_id = made.stdout.decode().strip()
    listed = wharf(wharfd, "network", "ls", "--no-trunc", "--filter", "label=x=y",
                   "--format", "{{.ID}} {{.Name}} {{.Driver}} {{.Scope}}")
    assert listed.stdout.decode().split("\n")[0] == f"{network_id} {name} bridge local"
    inspected = json.loads(wharf(wharfd, "network", "inspect", name).stdout)
    assert inspected[0]["IPAM"]["Config"] == [{"Subnet": subnet}]
    assert inspected[0]["Options"] == {"com.docker.network.driver.mtu": "1400"}
    gateway = wharf(wharfd, "network", "create", "--subnet", subnet,
                    "--gateway", "10.1.1.1", names.new("gw"))
    assert gateway.returncode == 1
    assert gateway.stderr.decode().strip() == "no matching subnet for gateway 10.1.1.1"
    pruned = wharf(wharfd, "network", "prune", "-f", "--filter", "label=x=y")
    assert pruned.stdout.decode() == f"Deleted Networks:\n{name}\n\n"
    assert not Path(f"/sys/class/net/wbr-{network_id[:11]}").exists()
    gone = wharf(wharfd, "network", "rm", name)
    assert gone.returncode == 1
    assert gone.stderr.decode().strip() == f"Error response from daemon: network {name} not found"
    assert wharf(wharfd, "network", "rm", "-f", name).returncode == 0
