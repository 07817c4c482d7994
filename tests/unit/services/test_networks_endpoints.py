"""Endpoints: addresses, MACs, DNS names and the driver's EndpointSpec; requested addresses
with Docker's checks; restore at daemon start; events."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.services.networks_fakes import Harness

from wharf.core.errors import Forbidden, InvalidParameter, NotFound
from wharf.services.engine_types import EndpointIPAMConfig, EndpointSettings

C1, C2 = "a1" * 32, "b2" * 32


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    harness = Harness(tmp_path)
    harness.start()
    harness.names = {C1: ("web", "webhost"), C2: ("db", "")}
    return harness


def test_join_on_a_user_network(h: Harness) -> None:
    network_id = h.create("net1", {"subnet": "10.60.0.0/24"})
    endpoint = h.service.join(C1, "net1", EndpointSettings(aliases=["www"]), "eth0")
    settings = endpoint.settings
    assert settings["IPAddress"] == "10.60.0.2" and settings["IPPrefixLen"] == 24
    assert settings["Gateway"] == "10.60.0.1" and settings["NetworkID"] == network_id
    assert settings["MacAddress"] == "02:42:0a:3c:00:02"
    assert settings["Aliases"] == ["www"] and settings["IPAMConfig"] is None
    assert settings["DNSNames"] == ["web", "www", C1[:12], "webhost"]
    assert len(settings["EndpointID"]) == 64
    spec = endpoint.spec
    assert spec is not None and spec.bridge == f"wbr-{network_id[:11]}"
    assert spec.ifname == "eth0" and spec.addresses == ("10.60.0.2/24",)
    assert spec.gateways == ("10.60.0.1",) and spec.mac == settings["MacAddress"]
    assert spec.host_ifname == "wv" + settings["EndpointID"][:10]
    second = h.service.join(C2, "net1")
    assert second.settings["IPAddress"] == "10.60.0.3"
    containers = h.service.inspect("net1")["Containers"]
    assert containers[C1] == {"Name": "web", "EndpointID": settings["EndpointID"],
                              "MacAddress": "02:42:0a:3c:00:02",
                              "IPv4Address": "10.60.0.2/24", "IPv6Address": ""}
    assert ("network", "connect", {"name": "net1", "type": "bridge",
                                   "container": C1}) in h.actions()


def test_default_bridge_endpoint(h: Harness) -> None:
    endpoint = h.service.join(C1, "bridge")
    assert endpoint.settings["IPAddress"] == "10.200.0.2"
    assert endpoint.settings["DNSNames"] is None
    with pytest.raises(InvalidParameter, match=r"^user specified IP address is supported on "
                                               r"user defined networks only$"):
        h.service.join(C2, "bridge", EndpointSettings(
            ipam_config=EndpointIPAMConfig(ipv4_address="10.200.0.9")))


def test_requested_addresses(h: Harness) -> None:
    h.create("fixed", {"subnet": "10.61.0.0/24"})
    h.create("pooled")
    wanted = EndpointSettings(ipam_config=EndpointIPAMConfig(ipv4_address="10.61.0.50"),
                              mac_address="02:00:00:00:00:01")
    endpoint = h.service.join(C1, "fixed", wanted)
    assert endpoint.settings["IPAddress"] == "10.61.0.50"
    assert endpoint.settings["IPAMConfig"] == {"IPv4Address": "10.61.0.50"}
    assert endpoint.settings["MacAddress"] == "02:00:00:00:00:01"
    with pytest.raises(Forbidden, match="Address already in use"):
        h.service.join(C2, "fixed", wanted)
    with pytest.raises(InvalidParameter) as caught:
        h.service.join(C2, "fixed", EndpointSettings(
            ipam_config=EndpointIPAMConfig(ipv4_address="10.9.9.9")))
    assert str(caught.value) == ("invalid config for network fixed: invalid endpoint settings:\n"
                                 "no configured subnet or ip-range contain the IP address "
                                 "10.9.9.9")
    with pytest.raises(InvalidParameter, match="user configured subnets"):
        h.service.join(C2, "pooled", EndpointSettings(
            ipam_config=EndpointIPAMConfig(ipv4_address="172.18.0.9")))
    with pytest.raises(InvalidParameter, match="invalid MAC address"):
        h.service.join(C2, "fixed", EndpointSettings(mac_address="zz"))
    assert list(h.service.endpoints(h.service.resolve("fixed").id)) == [C1]


def test_leave_frees_the_address(h: Harness) -> None:
    network_id = h.create("net1", {"subnet": "10.62.0.0/29"})
    first = h.service.join(C1, network_id)
    h.service.leave(C1, network_id)
    h.service.leave(C1, network_id)  # nothing held: nothing to do
    assert h.service.join(C2, network_id).settings["IPAddress"] == \
        first.settings["IPAddress"]
    assert ("network", "disconnect", {"name": "net1", "type": "bridge",
                                      "container": C1}) in h.actions()
    with pytest.raises(Forbidden, match="endpoint with name db already exists"):
        h.service.join(C2, network_id)


def test_full_network(h: Harness) -> None:
    network_id = h.create("tiny", {"subnet": "10.63.0.0/30"})
    h.service.join(C1, network_id)
    with pytest.raises(Exception, match="no available IPv4 addresses"):
        h.service.join(C2, network_id)


def test_host_and_none_endpoints_have_no_interface(h: Harness) -> None:
    endpoint = h.service.join(C1, "host")
    assert endpoint.spec.bridge == "" and endpoint.spec.addresses == ()
    assert endpoint.settings["IPAddress"] == "" and endpoint.settings["MacAddress"] == ""
    assert endpoint.settings["NetworkID"] == h.service.resolve("host").id
    assert h.service.inspect("host")["Containers"][C1]["Name"] == "web"


def test_restore_takes_back_the_address(h: Harness) -> None:
    network_id = h.create("net1", {"subnet": "10.64.0.0/24"})
    settings = dict(h.service.join(C1, network_id).settings)
    h.service.leave(C1, network_id)
    restored = h.service.restore_endpoint(C1, network_id, settings, "eth1")
    assert restored.spec is not None and restored.spec.ifname == "eth1"
    assert restored.spec.host_ifname == "wv" + settings["EndpointID"][:10]
    assert h.service.join(C2, network_id).settings["IPAddress"] == "10.64.0.3"
    with pytest.raises(Forbidden, match="is taken"):
        h.service.restore_endpoint("f" * 64, network_id, settings)


def test_internal_network_has_no_default_route(h: Harness) -> None:
    h.create("inner", internal=True)
    spec = h.service.join(C1, "inner").spec
    assert spec is not None and spec.gateways == ()


def test_bridge_spec_and_unknown_network(h: Harness) -> None:
    h.create("opts", options={"com.docker.network.bridge.enable_icc": "false",
                              "com.docker.network.bridge.enable_ip_masquerade": "0",
                              "com.docker.network.driver.mtu": "1400"})
    spec = h.service.bridge_spec("opts")
    assert (spec.icc, spec.masquerade, spec.mtu) == (False, False, 1400)
    assert h.service.join(C1, "opts").spec.mtu == 1400  # type: ignore[union-attr]
    with pytest.raises(NotFound, match=r"^network nope not found$"):
        h.service.join(C1, "nope")
    with pytest.raises(InvalidParameter):
        h.service.bridge_spec("host")


def test_the_container_sides_forms(h: Harness) -> None:
    """Lane C passes the network record and Docker's EndpointSettings as a JSON object."""
    network_id = h.create("asdict", {"subnet": "10.65.0.0/24"})
    record = h.service.resolve("asdict")
    endpoint = h.service.join(C1, record, {"IPAMConfig": {"IPv4Address": "10.65.0.9"},
                                           "Aliases": ["a1"]}, "eth1")
    assert endpoint.settings["IPAddress"] == "10.65.0.9"
    assert endpoint.settings["Aliases"] == ["a1"] and endpoint.spec.ifname == "eth1"
    with pytest.raises(InvalidParameter, match="invalid endpoint settings"):
        h.service.join(C2, record, {"Aliases": "not-a-list"})
    h.service.leave(C1, network_id)
    again = h.service.restore_endpoint(C1, record, endpoint.settings, "eth1")
    assert again.settings["IPAddress"] == "10.65.0.9"
    assert {s.ifname for s in h.service.bridge_specs()} == {"wtest0",
                                                           f"wbr-{network_id[:11]}"}
