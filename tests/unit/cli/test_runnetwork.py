"""``run``/``create`` networking flags → the create body, as the docker CLI sends them."""

from __future__ import annotations

import pytest

from wharf.cli.command import CommandFailed
from wharf.cli.flags import FlagParser
from wharf.cli.runconfig import CREATE_FLAGS, RUN_ONLY_FLAGS, build_create_body


def body(*argv: str) -> dict:  # type: ignore[type-arg]
    opts = FlagParser((*CREATE_FLAGS, *RUN_ONLY_FLAGS), interspersed=False).parse(
        [*argv, "busybox"])
    return build_create_body(opts, {}, detach=True)


def test_first_network_gets_alias_ip_link_and_mac() -> None:
    sent = body("--network", "test-net", "--network-alias", "db", "--ip", "10.1.0.9",
                "--ip6", "fd00::9", "--link", "other:o", "--mac-address", "02:42:ac:11:00:09")
    assert sent["HostConfig"]["NetworkMode"] == "test-net"
    assert sent["HostConfig"]["Links"] == ["other:o"]
    assert sent["NetworkingConfig"]["EndpointsConfig"] == {"test-net": {
        "IPAMConfig": {"IPv4Address": "10.1.0.9", "IPv6Address": "fd00::9"},
        "Aliases": ["db"], "Links": ["other:o"], "MacAddress": "02:42:ac:11:00:09"}}


def test_no_network_flags_send_the_default_mode_and_no_endpoint() -> None:
    sent = body("--dns", "192.0.2.1", "--dns-search", "lan", "--dns-option", "ndots:2")
    assert sent["HostConfig"]["NetworkMode"] == "default"
    assert sent["NetworkingConfig"] == {"EndpointsConfig": {}}
    host = sent["HostConfig"]
    assert (host["Dns"], host["DnsSearch"], host["DnsOptions"]) == (
        ["192.0.2.1"], ["lan"], ["ndots:2"])
    assert body("--link", "a")["NetworkingConfig"]["EndpointsConfig"] == {
        "default": {"Links": ["a"]}}


@pytest.mark.parametrize(("argv", "message"), [
    (("--ip", "300.1.1.1"), 'invalid argument "300.1.1.1" for "--ip" flag: invalid string '
                            "being converted to IP address: 300.1.1.1"),
    (("--ip6", "10.0.0.1"), 'invalid argument "10.0.0.1" for "--ip6" flag'),
    (("--mac-address", "zz"), "zz is not a valid mac address"),
    (("--dns", "nowhere"), "IP address is not correctly formatted: nowhere"),
    (("--link", "a:b:c"), "bad format for links: a:b:c"),
])
def test_bad_values_exit_125_with_dockers_message(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandFailed) as caught:
        body(*argv)
    assert caught.value.status == 125 and message in caught.value.message


def test_expose_ranges_are_expanded_as_the_docker_cli_does() -> None:
    assert body("--expose", "8000-8002/udp", "--expose", "80")["ExposedPorts"] == {
        "8000/udp": {}, "8001/udp": {}, "8002/udp": {}, "80/tcp": {}}
    with pytest.raises(CommandFailed, match="invalid range format for --expose"):
        body("--expose", "eighty")
