"""``--add-host`` values as the docker CLI reads them (``opts.ValidateExtraHost``): ``name:ip``
or ``name=ip``, an IP in brackets unwrapped, sent to the daemon as ``name:ip``."""

from __future__ import annotations

import ipaddress
import json

from wharf.cli.runconfig import flag_error

__all__ = ["parse_extra_host"]

HOST_GATEWAY = "host-gateway"


def parse_extra_host(value: str) -> str:
    name, eq, address = value.partition("=")
    if not eq:
        name, _, address = value.partition(":")
    if not (eq or ":" in value) or not name or ":" in name:
        raise flag_error(value, "--add-host", f"bad format for add-host: {json.dumps(value)}")
    if address != HOST_GATEWAY:
        if len(address) > 2 and address[0] == "[" and address[-1] == "]":
            address = address[1:-1]
        try:
            ipaddress.ip_address(address.strip())
        except ValueError:
            raise flag_error(value, "--add-host", "invalid IP address in add-host: "
                             f"{json.dumps(address)}") from None
    return f"{name}:{address}"
