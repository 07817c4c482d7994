"""NetworkService: predefined networks, create/inspect/list/remove/prune with Docker's rules
and messages, on a recording driver."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.unit.services.networks_fakes import Harness

from wharf.core.errors import Conflict, Forbidden, InvalidParameter, NotFound
from wharf.services.engine_types import ConfigReference
from wharf.services.networks_config import NetworkDefaults


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    harness = Harness(tmp_path)
    harness.start()
    return harness


def test_predefined_networks_made_once_with_ids_kept(tmp_path: Path) -> None:
    first = Harness(tmp_path)
    first.start()
    listed = {n["Name"]: n for n in first.service.list({})}
    assert {name: n["Driver"] for name, n in listed.items()} == {
        "bridge": "bridge", "host": "host", "none": "null"}
    bridge = listed["bridge"]
    assert bridge["IPAM"]["Config"] == [{"Subnet": "10.200.0.0/24", "Gateway": "10.200.0.1"}]
    assert bridge["Options"]["com.docker.network.bridge.name"] == "wtest0"
    assert bridge["Options"]["com.docker.network.bridge.default_bridge"] == "true"
    assert listed["host"]["IPAM"] == {"Driver": "default", "Options": None, "Config": None}
    assert first.driver.bridges["wtest0"].addresses == ("10.200.0.1/24",)
    assert first.driver.bridges["wtest0"].user_defined is False
    first.db.close()
    again = Harness(tmp_path)
    again.start()
    assert {n["Name"]: n["Id"] for n in again.service.list({})} == {
        name: n["Id"] for name, n in listed.items()}


def test_default_bridge_follows_the_options_and_none_means_no_bridge(tmp_path: Path) -> None:
    harness = Harness(tmp_path, NetworkDefaults(bridge="wtest1", bip="10.201.0.1/16",
                                                fixed_cidr="10.201.5.0/24", icc=False))
    harness.start()
    bridge = harness.service.inspect("bridge")
    assert bridge["IPAM"]["Config"] == [{"Subnet": "10.201.0.0/16", "IPRange": "10.201.5.0/24",
                                         "Gateway": "10.201.0.1"}]
    assert harness.driver.bridges["wtest1"].icc is False
    harness.db.close()
    without = Harness(tmp_path, NetworkDefaults(bridge="none"))
    without.start()
    assert {n["Name"] for n in without.service.list({})} == {"host", "none"}
    assert without.driver.bridges == {}


def test_default_bridge_with_ipv6(tmp_path: Path) -> None:
    harness = Harness(tmp_path, NetworkDefaults(bridge="wtest2", bip="10.202.0.1/24",
                                                ipv6=True, fixed_cidr_v6="fd00:9::1/64"))
    harness.start()
    bridge = harness.service.inspect("bridge")
    assert bridge["EnableIPv6"] is True
    assert bridge["IPAM"]["Config"][1] == {"Subnet": "fd00:9::/64"}
    assert harness.driver.bridges["wtest2"].addresses == ("10.202.0.1/24", "fd00:9::1/64")
    assert harness.service.join("c" * 64, "bridge").settings["GlobalIPv6Address"] == "fd00:9::2"


def test_start_sweeps_with_the_live_containers_and_own_bridges(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.start()
    harness.create("net1")
    harness.db.close()
    again = Harness(tmp_path)
    again.start({"c1"})
    bridges = sorted(again.driver.bridges)
    assert ("sweep", (["c1"], bridges)) in again.driver.calls
    assert len(bridges) == 2 and bridges[0].startswith("wbr-")


def test_create_allocates_a_pool_subnet_and_makes_the_bridge(h: Harness) -> None:
    network_id = h.create("net1", labels={"a": "b"}, internal=True)
    inspected = h.service.inspect("net1")
    assert inspected["Id"] == network_id and len(network_id) == 64
    assert inspected["Scope"] == "local" and inspected["Driver"] == "bridge"
    assert inspected["Internal"] is True and inspected["Labels"] == {"a": "b"}
    assert inspected["IPAM"]["Config"] == [{"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"}]
    assert inspected["Containers"] == {} and inspected["Options"] == {}
    spec = h.driver.bridges[f"wbr-{network_id[:11]}"]
    assert spec.addresses == ("172.18.0.1/16",) and spec.internal and spec.user_defined
    assert ("network", "create", {"name": "net1", "type": "bridge"}) in h.actions()
    assert h.service.resolve(network_id[:5]).name == "net1"


def test_pool_subnets_skip_networks_and_host_routes(tmp_path: Path) -> None:
    harness = Harness(tmp_path, reserved=["172.18.0.0/24"])
    harness.start()
    harness.create("a")
    harness.create("b")
    subnets = [harness.service.inspect(n)["IPAM"]["Config"][0]["Subnet"] for n in ("a", "b")]
    assert subnets == ["172.19.0.0/16", "172.20.0.0/16"]


def test_daemon_address_pools(tmp_path: Path) -> None:
    pools = ({"base": "10.99.0.0/16", "size": 24},)
    harness = Harness(tmp_path, NetworkDefaults(bridge="wtest0", bip="10.200.0.1/24",
                                                default_address_pools=pools))
    harness.start()
    harness.create("a")
    assert harness.service.inspect("a")["IPAM"]["Config"][0]["Subnet"] == "10.99.0.0/24"


def test_user_subnet_shown_as_given(h: Harness) -> None:
    h.create("net1", {"subnet": "10.77.0.0/24", "ip_range": "10.77.0.128/25"})
    assert h.service.inspect("net1")["IPAM"]["Config"] == [
        {"Subnet": "10.77.0.0/24", "IPRange": "10.77.0.128/25"}]
    spec = h.service.bridge_spec("net1")
    assert spec.addresses == ("10.77.0.128/24",)  # the range's first address


def test_create_refusals_read_as_dockerd(h: Harness) -> None:
    h.create("dup", {"subnet": "10.77.0.0/24", "gateway": "10.77.0.1"})
    cases: list[tuple[dict[str, object], type[Exception], str]] = [
        ({"name": "dup"}, Conflict, "network with name dup already exists"),
        ({"name": "bridge"}, Forbidden, "operation is not permitted on predefined bridge "
                                        "network "),
        ({"name": "x", "driver": "foo"}, NotFound, 'plugin "foo" not found'),
        ({"name": "x", "driver": "host"}, Forbidden,
         'only one instance of "host" network is allowed'),
        ({"name": "x", "driver": "macvlan"}, InvalidParameter, "not supported by wharf"),
        ({"name": "x", "ingress": True}, InvalidParameter, "ingress networks"),
        ({"name": "x", "scope": "swarm"}, InvalidParameter, "scope"),
        ({"name": "x", "config_from": ConfigReference(network="y")}, InvalidParameter,
         "config-only"),
        ({"name": "x", "options": {"com.docker.network.bridge.enable_icc": "maybe"}},
         InvalidParameter, "failed to parse com.docker.network.bridge.enable_icc value: maybe "
                           '(strconv.ParseBool: parsing "maybe": invalid syntax)'),
        ({"name": "x", "options": {"com.docker.network.driver.mtu": "big"}},
         InvalidParameter, 'strconv.Atoi: parsing "big": invalid syntax'),
        ({"name": "x", "options": {"com.docker.network.driver.mtu": "10"}},
         InvalidParameter, "invalid MTU number: 10"),
        ({"name": "x", "options": {"com.docker.network.bridge.host_binding_ipv4": "1.2.3.4"}},
         InvalidParameter, "is not supported by wharf"),
        ({"name": "x", "options": {"com.docker.network.bridge.name": "a/b"}},
         InvalidParameter, "invalid bridge name"),
        ({"name": ""}, InvalidParameter, "invalid name: "),
    ]
    for fields, error, message in cases:
        with pytest.raises(error) as caught:
            h.create(**fields)  # type: ignore[arg-type]
        assert message in str(caught.value), fields
    assert [n["Name"] for n in h.service.list({"type": ["custom"]})] == ["dup"]


def test_ipam_faults_and_overlap(h: Harness) -> None:
    h.create("first", {"subnet": "10.77.0.0/16"})
    with pytest.raises(Forbidden, match=r"^invalid pool request: Pool overlaps with other one "
                                        r"on this address space$"):
        h.create("second", {"subnet": "10.77.5.0/24"})
    with pytest.raises(InvalidParameter) as caught:
        h.create("third", {"subnet": "10.78.0.0/24", "gateway": "10.79.0.1"})
    assert str(caught.value) == ("invalid network config:\ninvalid gateway 10.79.0.1: parent "
                                 "subnet 10.78.0.0/24 doesn't contain this address")
    with pytest.raises(InvalidParameter, match="IPv6 has not been enabled"):
        h.create("fourth", {"subnet": "fd00:1::/64"})
    with pytest.raises(InvalidParameter, match="multiple subnets"):
        h.create("fifth", {"subnet": "10.80.0.0/24"}, {"subnet": "10.81.0.0/24"})
    with pytest.raises(NotFound, match='plugin "other" not found'):
        from wharf.services.engine_types import IPAM, NetworkCreateRequest
        h.run(h.service.create(NetworkCreateRequest(name="x", ipam=IPAM(driver="other"))))
    assert {n["Name"] for n in h.service.list({})} == {"bridge", "host", "none", "first"}


def test_ipv6_network_with_a_v6_subnet(h: Harness) -> None:
    h.create("six", {"subnet": "fd00:7::/64"}, enable_ipv6=True)
    inspected = h.service.inspect("six")
    assert inspected["EnableIPv6"] is True
    assert [c["Subnet"] for c in inspected["IPAM"]["Config"]] == ["172.18.0.0/16",
                                                                  "fd00:7::/64"]
    assert h.service.bridge_spec("six").addresses == ("172.18.0.1/16", "fd00:7::1/64")
    with pytest.raises(NotFound, match="non-overlapping IPv6 address pool"):
        h.create("six-auto", enable_ipv6=True)


def test_ip_version_options(h: Harness) -> None:
    h.create("v4", options={"com.docker.network.enable_ipv4": "true"})
    with pytest.raises(InvalidParameter, match="disabling IPv4"):
        h.create("no-v4", options={"com.docker.network.enable_ipv4": "false"})
    h.create("v6-opt", {"subnet": "fd00:8::/64"},
             options={"com.docker.network.enable_ipv6": "true"})
    assert h.service.inspect("v6-opt")["EnableIPv6"] is True
    with pytest.raises(InvalidParameter, match=re.escape(
            'driver-opt "com.docker.network.enable_ipv6" is not a valid bool')):
        h.create("v6-bad", options={"com.docker.network.enable_ipv6": "perhaps"})


def test_bridge_name_option_and_its_conflicts(h: Harness) -> None:
    h.create("named", options={"com.docker.network.bridge.name": "wtestnamed", "foo": "bar"})
    assert "wtestnamed" in h.driver.bridges
    assert h.service.inspect("named")["Options"]["foo"] == "bar"
    with pytest.raises(Forbidden, match="networks have same bridge name"):
        h.create("again", options={"com.docker.network.bridge.name": "wtestnamed"})


def test_foreign_interface_name_refused(tmp_path: Path) -> None:
    harness = Harness(tmp_path, interfaces={"docker0"})
    harness.start()
    with pytest.raises(Forbidden, match="docker0 exists"):
        harness.create("x", options={"com.docker.network.bridge.name": "docker0"})


def test_driver_failure_leaves_nothing(h: Harness) -> None:
    h.driver.fail_bridge = "wtestfail"
    with pytest.raises(Exception, match="cannot make"):
        h.create("x", options={"com.docker.network.bridge.name": "wtestfail"})
    assert "x" not in {n["Name"] for n in h.service.list({})}
    assert ("remove_bridge", "wtestfail") in h.driver.calls


def test_remove(h: Harness) -> None:
    network_id = h.create("gone")
    with pytest.raises(Forbidden, match=r"^bridge is a pre-defined network and cannot be "
                                        r"removed$"):
        h.run(h.service.remove("bridge"))
    h.service.join("c" * 64, "gone")
    with pytest.raises(Forbidden) as caught:
        h.run(h.service.remove("gone"))
    assert str(caught.value) == (f"error while removing network: network gone id "
                                 f"{network_id} has active endpoints")
    h.service.leave("c" * 64, network_id)
    h.run(h.service.remove(network_id[:12]))
    assert f"wbr-{network_id[:11]}" not in h.driver.bridges
    with pytest.raises(NotFound, match=r"^network gone not found$"):
        h.service.inspect("gone")
    assert ("network", "destroy", {"name": "gone", "type": "bridge"}) in h.actions()


def test_inspect_scope(h: Harness) -> None:
    assert h.service.inspect("bridge", scope="local")["Name"] == "bridge"
    with pytest.raises(NotFound):
        h.service.inspect("bridge", scope="swarm")


def test_prune(h: Harness) -> None:
    h.create("keep", labels={"keep": "yes"})
    h.create("busy")
    h.create("old")
    h.service.join("d" * 64, "busy")
    report = h.run(h.service.prune({"label!": ["keep=yes"]}))
    assert report == {"NetworksDeleted": ["old"]}
    assert h.run(h.service.prune({"until": ["1h"]})) == {"NetworksDeleted": None}
    with pytest.raises(InvalidParameter, match="invalid filter 'dangling'"):
        h.run(h.service.prune({"dangling": ["true"]}))
    assert {n["Name"] for n in h.service.list({})} == {"bridge", "host", "none", "keep",
                                                        "busy"}
    assert ("network", "prune", {"reclaimed": "0"}) in h.actions()
