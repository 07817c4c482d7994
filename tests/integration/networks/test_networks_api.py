"""Networks through the Engine API of a real wharfd: the bridge made on create and gone on
remove, Docker's JSON and errors, filters, prune, and what a restart keeps."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.integration.networks.conftest import NetworkNames, free_subnet
from tests.support.daemons import Daemon, start_wharfd, stop_process, wharfd_running


def create(daemon: Daemon, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, data = daemon.request("POST", "/networks/create", json.dumps(body).encode(),
                                  {"Content-Type": "application/json"})
    return status, json.loads(data)


def bridge_of(daemon: Daemon, name: str) -> str:
    inspected = daemon.json("GET", f"/networks/{name}")
    assert isinstance(inspected, dict)
    return str(inspected["Options"].get("com.docker.network.bridge.name")
               or f"wbr-{inspected['Id'][:11]}")


def link_exists(name: str) -> bool:
    return Path(f"/sys/class/net/{name}").exists()


def test_predefined_networks(wharfd: Daemon) -> None:
    listed = wharfd.json("GET", "/networks")
    assert isinstance(listed, list)
    drivers = {n["Name"]: n["Driver"] for n in listed}
    assert {"bridge": "bridge", "host": "host", "none": "null"}.items() <= drivers.items()
    bridge = wharfd.json("GET", "/networks/bridge")
    assert isinstance(bridge, dict)
    assert link_exists(bridge["Options"]["com.docker.network.bridge.name"])
    status, data = wharfd.request("DELETE", "/networks/bridge")
    assert status == 403
    assert json.loads(data)["message"] == "bridge is a pre-defined network and cannot be removed"


def test_create_inspect_remove(wharfd: Daemon, names: NetworkNames) -> None:
    name = names.new()
    subnet = free_subnet()
    gateway = subnet.replace(".0/24", ".1")
    status, answer = create(wharfd, {"Name": name, "Driver": "bridge", "Labels": {"k": "v"},
                                     "IPAM": {"Config": [{"Subnet": subnet,
                                                          "Gateway": gateway}]}})
    assert status == 201 and len(answer["Id"]) == 64, answer
    inspected = wharfd.json("GET", f"/networks/{name}")
    assert isinstance(inspected, dict)
    assert inspected["Id"] == answer["Id"] and inspected["Scope"] == "local"
    assert inspected["IPAM"]["Config"] == [{"Subnet": subnet, "Gateway": gateway}]
    assert inspected["Labels"] == {"k": "v"} and inspected["Containers"] == {}
    bridge = bridge_of(wharfd, name)
    assert bridge == f"wbr-{answer['Id'][:11]}" and link_exists(bridge)
    status, answer2 = create(wharfd, {"Name": name})
    assert status == 409 and answer2["message"] == f"network with name {name} already exists"
    filtered = wharfd.json("GET", "/networks?filters=" + quote(json.dumps(
        {"label": ["k=v"], "type": ["custom"]})))
    assert isinstance(filtered, list) and name in [n["Name"] for n in filtered]
    assert wharfd.request("DELETE", f"/networks/{answer['Id'][:12]}")[0] == 204
    assert not link_exists(bridge)
    status, data = wharfd.request("GET", f"/networks/{name}")
    assert status == 404 and json.loads(data)["message"] == f"network {name} not found"
    status, data = wharfd.request("GET", "/events?since=0&until=" + str(int(time.time()) + 1)
                                  + "&filters=" + quote(json.dumps({"network": [answer["Id"]]})))
    actions = [json.loads(line)["Action"] for line in data.splitlines() if line.strip()]
    assert status == 200 and actions == ["create", "destroy"]


def test_bad_subnets_read_as_dockerd(wharfd: Daemon, names: NetworkNames) -> None:
    first = names.new("first")
    subnet = free_subnet()
    assert create(wharfd, {"Name": first, "IPAM": {"Config": [{"Subnet": subnet}]}})[0] == 201
    status, answer = create(wharfd, {"Name": names.new("overlap"),
                                     "IPAM": {"Config": [{"Subnet": subnet}]}})
    assert status == 403
    assert answer["message"] == ("invalid pool request: Pool overlaps with other one on this "
                                 "address space")
    status, answer = create(wharfd, {"Name": names.new("gw"), "IPAM": {"Config": [
        {"Subnet": "10.211.77.0/24", "Gateway": "10.211.78.1"}]}})
    assert status == 400
    assert answer["message"] == ("invalid network config:\ninvalid gateway 10.211.78.1: "
                                 "parent subnet 10.211.77.0/24 doesn't contain this address")
    status, answer = create(wharfd, {"Name": names.new("drv"), "Driver": "nosuch"})
    assert status == 404 and answer["message"] == 'plugin "nosuch" not found'
    listed = wharfd.json("GET", "/networks")
    assert isinstance(listed, list)
    assert [n["Name"] for n in listed if n["Name"] in names.made] == [first]


def test_prune_removes_unused_custom_networks(wharfd: Daemon, names: NetworkNames) -> None:
    keep, drop = names.new("keep"), names.new("drop")
    assert create(wharfd, {"Name": keep, "Labels": {"keep": "1"}})[0] == 201
    assert create(wharfd, {"Name": drop})[0] == 201
    dropped_bridge = bridge_of(wharfd, drop)
    report = wharfd.json("POST", "/networks/prune?filters="
                         + quote(json.dumps({"label!": ["keep"]})))
    assert isinstance(report, dict) and drop in report["NetworksDeleted"]
    assert keep not in report["NetworksDeleted"] and "bridge" not in report["NetworksDeleted"]
    assert not link_exists(dropped_bridge)
    assert wharfd.request("GET", f"/networks/{keep}")[0] == 200


def test_restart_keeps_networks_and_remakes_bridges() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="wharf-netrestart-"))
    bridges: list[str] = []
    try:
        daemon = start_wharfd(tmp)
        try:
            assert create(daemon, {"Name": "kept"})[0] == 201
            before = {n["Name"]: n["Id"] for n in listed(daemon)}
            bridges.append(bridge_of(daemon, "kept"))
        finally:
            stop_process(daemon.proc)  # a plain stop: the networks stay (wharfd_running's
            # end removes them)
        delete_link(bridges[0])  # as after a reboot
        with wharfd_running(tmp) as daemon:
            assert {n["Name"]: n["Id"] for n in listed(daemon)} == before
            assert link_exists(bridges[0])
            assert daemon.request("DELETE", "/networks/kept")[0] == 204
            assert not link_exists(bridges[0])
    finally:
        for bridge in bridges:
            delete_link(bridge)
        shutil.rmtree(tmp, ignore_errors=True)


def listed(daemon: Daemon) -> list[dict[str, Any]]:
    networks = daemon.json("GET", "/networks")
    assert isinstance(networks, list)
    return networks


def delete_link(link: str) -> None:
    if link_exists(link):
        subprocess.run(["ip", "link", "del", link], capture_output=True)
