"""``--add-host`` values as the docker CLI reads them (``opts.ValidateExtraHost``, in
``lib.extrahosts``): ``name:ip`` or ``name=ip``, an IP in brackets unwrapped, sent to the
daemon as ``name:ip``."""

from __future__ import annotations

from wharf.cli.runconfig import flag_error
from wharf.lib.extrahosts import ExtraHostError, normalize_extra_host

__all__ = ["parse_extra_host"]


def parse_extra_host(value: str) -> str:
    try:
        return normalize_extra_host(value)
    except ExtraHostError as err:
        raise flag_error(value, "--add-host", str(err)) from None
