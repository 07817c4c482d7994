from __future__ import annotations

import pytest

from wharf.lib.portspec import (
    PortBinding,
    PortMapping,
    PortSpecError,
    parse_expose,
    parse_port_range,
    parse_publish,
    port_bindings,
    publish_all,
    split_proto_port,
)


def test_container_port_only_defaults_to_tcp_and_a_dynamic_host_port() -> None:
    assert parse_publish("80") == [PortMapping("80/tcp", PortBinding("", ""))]


def test_host_ip_host_port_container_port_and_proto() -> None:
    assert parse_publish("127.0.0.1:5001:5000/UDP") == [
        PortMapping("5000/udp", PortBinding("127.0.0.1", "5001"))
    ]


def test_ip_with_an_empty_host_port() -> None:
    assert parse_publish("127.0.0.1::80") == [PortMapping("80/tcp", PortBinding("127.0.0.1", ""))]


def test_ipv6_in_brackets_and_bare() -> None:
    assert parse_publish("[::1]:8080:80")[0].binding == PortBinding("::1", "8080")
    assert parse_publish("::1:8080:80")[0].binding == PortBinding("::1", "8080")


def test_equal_ranges_map_one_to_one() -> None:
    got = parse_publish("8000-8002:9000-9002")
    assert [(m.port, m.binding.host_port) for m in got] == [
        ("9000/tcp", "8000"),
        ("9001/tcp", "8001"),
        ("9002/tcp", "8002"),
    ]


def test_one_container_port_with_a_host_range_keeps_the_range() -> None:
    assert parse_publish("8000-8010:80") == [PortMapping("80/tcp", PortBinding("", "8000-8010"))]


def test_unequal_ranges_are_refused() -> None:
    with pytest.raises(PortSpecError, match=r"^Invalid ranges specified for container and host"):
        parse_publish("8000-8001:80-82")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("abc", "Invalid containerPort: abc"),
        ("80:70000", "Invalid containerPort: 70000"),
        ("x:80", "Invalid hostPort: x"),
        ("90-80:80", "Invalid hostPort: 90-80"),
        ("1.2.3:80:80", "invalid IP address: 1.2.3"),
        ("80/icmp", "Invalid proto: icmp"),
        ("8080:", "No port specified: 8080:<empty>"),
    ],
)
def test_docker_cli_messages(raw: str, message: str) -> None:
    with pytest.raises(PortSpecError) as caught:
        parse_publish(raw)
    assert str(caught.value) == message


def test_unclosed_bracket_is_an_invalid_ip() -> None:
    with pytest.raises(PortSpecError, match=r"^invalid IP address \[::1"):
        parse_publish("[::1:80:80")


def test_split_proto_port_and_ranges() -> None:
    assert split_proto_port("53/udp") == ("udp", "53")
    assert split_proto_port("53") == ("tcp", "53")
    assert split_proto_port("") == ("", "")
    assert parse_port_range("7-9") == (7, 9)
    with pytest.raises(ValueError):
        parse_port_range("9-7")
    with pytest.raises(ValueError):
        parse_port_range("+8")


def test_expose_ranges_and_errors() -> None:
    assert parse_expose("7000-7002/udp") == ["7000/udp", "7001/udp", "7002/udp"]
    with pytest.raises(PortSpecError, match=r"^invalid range format for --expose: x,"):
        parse_expose("x")


def test_port_bindings_shapes() -> None:
    exposed, bindings = port_bindings(["127.0.0.1:5001:5000", "5001:5000"], ["53/udp"])
    assert exposed == {"5000/tcp": {}, "53/udp": {}}
    assert bindings == {
        "5000/tcp": [
            {"HostIp": "127.0.0.1", "HostPort": "5001"},
            {"HostIp": "", "HostPort": "5001"},
        ]
    }


def test_publish_all_binds_only_unbound_exposed_ports() -> None:
    exposed, bindings = port_bindings(["8080:80"], ["80", "443", "53/udp"])
    every = publish_all(exposed, bindings)
    assert every == {
        "80/tcp": [{"HostIp": "", "HostPort": "8080"}],
        "443/tcp": [{"HostIp": "", "HostPort": ""}],
        "53/udp": [{"HostIp": "", "HostPort": ""}],
    }
    assert bindings == {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}  # not changed in place
