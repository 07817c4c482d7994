"""``--add-host`` values read as Docker's ``opts.ValidateExtraHost`` reads them."""

from __future__ import annotations

import pytest

from wharf.lib.extrahosts import ExtraHostError, normalize_extra_host, parse_extra_host


def test_forms() -> None:
    assert parse_extra_host("a:1.2.3.4") == ("a", "1.2.3.4")
    assert parse_extra_host("a=::1") == ("a", "::1")
    assert parse_extra_host("a:[fd00::1]") == ("a", "fd00::1")
    assert parse_extra_host("a:::ffff:10.0.0.1") == ("a", "10.0.0.1")  # unmapped, as dockerd
    assert parse_extra_host("host.docker.internal:host-gateway") == (
        "host.docker.internal", "host-gateway")
    assert normalize_extra_host("a=[fd00::1]") == "a:fd00::1"


@pytest.mark.parametrize(("value", "message"), [
    ("nohost", 'bad format for add-host: "nohost"'),
    (":1.2.3.4", 'bad format for add-host: ":1.2.3.4"'),
    ("a:notip", 'invalid IP address in add-host: "notip"'),
])
def test_errors(value: str, message: str) -> None:
    with pytest.raises(ExtraHostError) as caught:
        parse_extra_host(value)
    assert str(caught.value) == message
