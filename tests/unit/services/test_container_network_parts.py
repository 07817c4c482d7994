"""The pure parts of containers' networking: /etc texts per mode, the create-time checks of
the network mode, published-port bookkeeping."""

from __future__ import annotations

from typing import Any

import pytest

from wharf.core.errors import Conflict, InvalidParameter
from wharf.network.portalloc import PortAllocator
from wharf.services import container_network_ports as ports
from wharf.services.container_network_etc import build
from wharf.services.container_network_plan import check_conflicts
from wharf.services.container_network_types import DnsDefaults, EtcInput, HostLine

HOST_RESOLV = "nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch lan\noptions edns0\n"


def test_default_bridge_files_drop_loopback_servers_and_list_links() -> None:
    texts = build(EtcInput("bridge", "box", own_addresses=("172.30.0.5",),
                           extra_hosts=("gw:host-gateway", "v6=[fd00::1]"),
                           links=(HostLine("172.30.0.4", ("db", "dbhost", "dbname")),),
                           host_gateway="172.30.0.1"), HOST_RESOLV, "", DnsDefaults())
    assert "nameserver 10.0.0.2" in texts.resolv and "127.0.0.53" not in texts.resolv
    assert "search lan" in texts.resolv and not texts.upstreams
    lines = texts.hosts.splitlines()
    assert lines[0] == "127.0.0.1\tlocalhost"
    assert lines[-4:] == ["172.30.0.1\tgw", "fd00::1\tv6", "172.30.0.4\tdb dbhost dbname",
                          "172.30.0.5\tbox"]


def test_user_network_resolv_conf_names_the_embedded_resolver_and_keeps_loopback_upstreams(
        ) -> None:
    texts = build(EtcInput("bridge", "box", embedded_dns=True), HOST_RESOLV, "",
                  DnsDefaults(search=("corp.test",)))
    assert texts.resolv.count("nameserver") == 1 and "nameserver 127.0.0.11" in texts.resolv
    assert "search corp.test" in texts.resolv and "ndots:0" in texts.resolv
    assert texts.upstreams == ("127.0.0.53", "10.0.0.2")
    asked = build(EtcInput("bridge", "box", embedded_dns=True), HOST_RESOLV, "",
                  DnsDefaults(servers=("127.77.0.9",), options=("ndots:2",)))
    assert asked.upstreams == ("127.77.0.9",) and asked.user_ndots


def test_host_mode_copies_the_hosts_files() -> None:
    texts = build(EtcInput("host", "box", extra_hosts=("db:192.0.2.1",)), HOST_RESOLV,
                  "127.0.0.1 localhost\n10.1.1.1 h", DnsDefaults())
    assert texts.resolv == HOST_RESOLV
    assert texts.hosts == "127.0.0.1 localhost\n10.1.1.1 h\n192.0.2.1\tdb\n"
    with pytest.raises(InvalidParameter, match="host-gateway"):
        build(EtcInput("bridge", "box", extra_hosts=("gw:host-gateway",)), HOST_RESOLV, "",
              DnsDefaults())


@pytest.mark.parametrize(("config", "host", "message"), [
    ({"Hostname": "h"}, {"NetworkMode": "container:x"}, "hostname and the network mode"),
    ({}, {"NetworkMode": "container:x", "Dns": ["1.1.1.1"]}, "dns and the network mode"),
    ({}, {"NetworkMode": "container:x", "ExtraHosts": ["a:1.1.1.1"]}, "host-to-IP mapping"),
    ({}, {"NetworkMode": "container:x", "PublishAllPorts": True}, "port publishing"),
    ({"ExposedPorts": {"80/tcp": {}}}, {"NetworkMode": "container:x"}, "port exposing"),
    ({}, {"NetworkMode": "container:x", "Links": ["a:b"]}, "container type network can't"),
    ({"MacAddress": "02:00:00:00:00:01"}, {"NetworkMode": "host"}, "mac-address"),
    ({}, {"NetworkMode": "host", "Links": ["a:b"]}, "host type networking can't"),
    ({}, {"NetworkMode": "container:"}, "invalid container format"),
])
def test_network_mode_conflicts(config: dict[str, Any], host: dict[str, Any],
                                message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        check_conflicts(config, host)


def test_host_mode_discards_published_ports_with_a_warning() -> None:
    host = {"NetworkMode": "host", "PortBindings": {"80/tcp": [{"HostPort": "80"}]}}
    assert check_conflicts({}, host) == [
        "Published ports are discarded when using host network mode"]
    assert host["PortBindings"] == {}


def test_allocation_is_all_or_nothing_and_views_round_trip() -> None:
    allocator = PortAllocator(ephemeral=(41000, 41010))
    wanted = {"80/tcp": [{"HostIp": "", "HostPort": ""}],
              "81/tcp": [{"HostIp": "127.0.0.1", "HostPort": "41005"}]}
    mappings = ports.allocate(allocator, wanted, "10.0.0.2", "", "br")
    view = ports.ports_view({"ExposedPorts": {"90/udp": {}}}, {"PortBindings": wanted},
                            mappings)
    assert view["90/udp"] is None and len(view["80/tcp"] or []) == 2
    assert ports.mappings_from_view(view, "10.0.0.2", "", "br") == mappings
    summary = ports.summary_ports(view)
    assert {"PrivatePort": 90, "Type": "udp"} in summary
    with pytest.raises(Conflict, match="port is already allocated"):
        ports.allocate(allocator, {"82/tcp": [{"HostIp": "", "HostPort": "41006"}],
                                   "83/tcp": [{"HostIp": "127.0.0.1", "HostPort": "41005"}]},
                       "10.0.0.3", "", "br")
    assert not allocator.is_held("0.0.0.0", "tcp", 41006)  # released again
    with pytest.raises(InvalidParameter, match="invalid IP address"):
        ports.check_bindings({"80/tcp": [{"HostIp": "x", "HostPort": "1"}]})
    with pytest.raises(InvalidParameter, match="invalid proto"):
        ports.split_port_key("80/icmp")
