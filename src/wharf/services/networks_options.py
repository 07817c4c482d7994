"""A bridge network's driver options (``--opt``), read as moby's bridge driver reads them.

Known and implemented: the bridge's name, ``enable_icc``, ``enable_ip_masquerade``, the MTU
and ``com.docker.network.enable_ipv6`` (``enable_ipv4`` only as true). Other
``com.docker.network.*`` options change what dockerd does and are not implemented here:
refused. Any other key is kept and shown, as the bridge driver ignores options it does not
know (``-o foo=bar`` works on dockerd too)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from wharf.core.errors import InvalidParameter
from wharf.lib.goquote import go_quote
from wharf.services.networks_config import (
    BRIDGE_NAME,
    DRIVER_MTU,
    ENABLE_ICC,
    ENABLE_IPV4,
    ENABLE_IPV6,
    ENABLE_MASQUERADE,
)

_GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")
_IFNAME = re.compile(r"^[^\s/:]{1,15}$")
MIN_MTU, MAX_MTU = 68, 65535


@dataclass(frozen=True)
class BridgeOptions:
    name: str = ""  # "" = wbr-<id[:11]>
    icc: bool = True
    masquerade: bool = True
    mtu: int = 0


def _parse_error(key: str, value: str, reason: str) -> InvalidParameter:
    return InvalidParameter(f"failed to parse {key} value: {value} ({reason})")


def go_bool(key: str, value: str) -> bool:
    """Go's strconv.ParseBool, with the bridge driver's message when it fails."""
    if value in _GO_TRUE:
        return True
    if value in _GO_FALSE:
        return False
    raise _parse_error(key, value, f"strconv.ParseBool: parsing {go_quote(value)}: "
                                   "invalid syntax")


def _go_atoi(key: str, value: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]+", value):
        raise _parse_error(key, value, f"strconv.Atoi: parsing {go_quote(value)}: "
                                       "invalid syntax")
    return int(value)


def check_bridge_name(name: str) -> str:
    if not _IFNAME.match(name) or name in (".", ".."):
        raise InvalidParameter(f"invalid bridge name {go_quote(name)}: an interface name is "
                               "1 to 15 characters without spaces, '/' or ':'")
    return name


def parse_bridge_options(options: Mapping[str, str]) -> BridgeOptions:
    name, icc, masquerade, mtu = "", True, True, 0
    for key, value in sorted(options.items()):
        if key == BRIDGE_NAME:
            name = check_bridge_name(value)
        elif key == ENABLE_ICC:
            icc = go_bool(key, value)
        elif key == ENABLE_MASQUERADE:
            masquerade = go_bool(key, value)
        elif key == DRIVER_MTU:
            mtu = _go_atoi(key, value)
            if mtu != 0 and not MIN_MTU <= mtu <= MAX_MTU:
                raise InvalidParameter(f"invalid MTU number: {mtu}")
        elif key in (ENABLE_IPV6, ENABLE_IPV4):
            go_bool(key, value)  # IPv4 off was refused before; IPv6 read by the caller
        elif key.startswith("com.docker.network."):
            raise InvalidParameter(f"network option {key} is not supported by wharf")
    return BridgeOptions(name, icc, masquerade, mtu)


def record_bridge_options(options: Mapping[str, str]) -> BridgeOptions:
    """The options of a stored network (checked when it was made; unknown ones ignored)."""
    known = {k: v for k, v in options.items()
             if k in (BRIDGE_NAME, ENABLE_ICC, ENABLE_MASQUERADE, DRIVER_MTU)}
    return parse_bridge_options(known)
