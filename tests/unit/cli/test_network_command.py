"""``wharf network create``'s IPAM grouping (the docker CLI's client-side checks) and the
``network ls`` row placeholders."""

from __future__ import annotations

import pytest

from wharf.cli.command import CommandFailed
from wharf.cli.commands.network import NetworkRow, _natural_key
from wharf.cli.commands.network_ipam import consolidate_ipam
from wharf.cli.runconfig import key_value_map


def test_grouping() -> None:
    configs = consolidate_ipam(["10.1.0.0/16", "fd00::/64"], ["10.1.2.0/24"],
                               ["10.1.0.254", "fd00::1"], {"host1": "10.1.0.5"})
    assert configs == [
        {"Subnet": "10.1.0.0/16", "IPRange": "10.1.2.0/24", "Gateway": "10.1.0.254",
         "AuxiliaryAddresses": {"host1": "10.1.0.5"}},
        {"Subnet": "fd00::/64", "Gateway": "fd00::1", "AuxiliaryAddresses": {}},
    ]


@pytest.mark.parametrize(("subnets", "ranges", "gateways", "aux", "message"), [
    ([], [], ["10.0.0.1"], {}, "every ip-range or gateway must have a corresponding subnet"),
    (["10.1.0.0/24"], [], ["10.2.0.1"], {}, "no matching subnet for gateway 10.2.0.1"),
    (["10.1.0.0/24"], ["10.2.0.0/25"], [], {}, "no matching subnet for range 10.2.0.0/25"),
    (["10.1.0.0/16", "10.1.5.0/24"], [], [], {},
     "multiple overlapping subnet configuration is not supported"),
    (["10.1.0.0/24"], [], [], {"a": "10.9.0.1"}, "no matching subnet for aux-address 10.9.0.1"),
    (["nonsense"], [], ["10.0.0.1"], {}, "invalid CIDR address: nonsense"),
])
def test_client_side_refusals(subnets: list[str], ranges: list[str], gateways: list[str],
                              aux: dict[str, str], message: str) -> None:
    with pytest.raises(CommandFailed) as caught:
        consolidate_ipam(subnets, ranges, gateways, aux)
    assert caught.value.message == message


def test_rows_and_order() -> None:
    row = NetworkRow({"Id": "ab" * 32, "Name": "n", "Driver": "bridge", "Scope": "local",
                      "EnableIPv6": True, "Labels": {"k": "v"}})
    assert row.ID() == "ab" * 6 and row.IPv6() == "true" and row.Internal() == "false"
    assert row.Labels() == "k=v" and row.Label("k") == "v" and row.Label("x") == ""
    assert NetworkRow({"Id": "ab" * 32}, trunc=False).ID() == "ab" * 32
    assert sorted(["net10", "net2", "bridge"], key=_natural_key) == ["bridge", "net2", "net10"]
    assert key_value_map(["a=b=c", "flag"]) == {"a": "b=c", "flag": ""}
