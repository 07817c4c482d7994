"""Network and volume create bodies with Compose's labels."""

from wharf.compose import labels as L
from wharf.compose.model import build_project
from wharf.compose.resources import (
    changed_since,
    network_body,
    used_networks,
    used_volumes,
    volume_body,
)
from wharf.compose.yamlload import load_yaml

TEXT = """
services:
  a: {image: x}
  b: {image: x, networks: [front]}
networks:
  front:
    driver_opts: {com.docker.network.driver.mtu: "1400"}
    labels: {team: x}
    ipam:
      config: [{subnet: 10.9.0.0/24, gateway: 10.9.0.1, ip_range: 10.9.0.0/25,
                aux_addresses: {r: 10.9.0.2}}]
  unused: {}
volumes:
  data: {driver_opts: {type: tmpfs, device: tmpfs}, labels: [k=v]}
  named: {name: exact}
"""


def test_used_networks_include_default_only_when_used() -> None:
    project = build_project("p", load_yaml(TEXT))
    assert list(used_networks(project)) == ["default", "front"]
    assert list(used_volumes(project)) == ["data", "named"]


def test_network_body() -> None:
    project = build_project("p", load_yaml(TEXT))
    body = network_body(project, "front", project.networks["front"])
    assert body["Name"] == "p_front" and body["Driver"] == "bridge"
    assert body["Options"] == {"com.docker.network.driver.mtu": "1400"}
    assert len(body["Labels"].pop(L.CONFIG_HASH)) == 64
    assert body["Labels"] == {"team": "x", L.NETWORK: "front", L.PROJECT: "p",
                              L.VERSION: L.COMPOSE_VERSION}
    assert body["IPAM"] == {"Driver": "default", "Options": {}, "Config": [
        {"Subnet": "10.9.0.0/24", "IPRange": "10.9.0.0/25", "Gateway": "10.9.0.1",
         "AuxiliaryAddresses": {"r": "10.9.0.2"}}]}
    default = network_body(project, "default", used_networks(project)["default"])
    assert default["Name"] == "p_default" and "IPAM" not in default


def test_volume_body() -> None:
    project = build_project("p", load_yaml(TEXT))
    body = volume_body(project, "data", project.volumes["data"])
    assert len(body["Labels"].pop(L.CONFIG_HASH)) == 64
    assert body == {"Name": "p_data", "Driver": "local",
                    "DriverOpts": {"type": "tmpfs", "device": "tmpfs"},
                    "Labels": {"k": "v", L.VOLUME: "data", L.PROJECT: "p",
                               L.VERSION: L.COMPOSE_VERSION}}
    assert volume_body(project, "named", project.volumes["named"])["Name"] == "exact"


def test_changed_since() -> None:
    project = build_project("p", load_yaml(TEXT))
    body = network_body(project, "front", project.networks["front"])
    same = {"Labels": dict(body["Labels"])}
    assert not changed_since(same, body)
    assert not changed_since({"Labels": {}}, body)  # made elsewhere: nothing to compare
    other = build_project("p", load_yaml(TEXT.replace('"1400"', '"1500"')))
    assert changed_since(same, network_body(other, "front", other.networks["front"]))
