"""Linux capability names (``CAP_*``) and the bit masks built from them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from wharf.core.capabilities import CAPABILITIES, CAPABILITY_NUMBERS
from wharf.runtime.oci.errors import RuntimeCreateError


def last_cap(proc: Path = Path("/proc")) -> int:
    """The highest capability number the running kernel knows."""
    try:
        return int((proc / "sys/kernel/cap_last_cap").read_text())
    except OSError:
        return len(CAPABILITIES) - 1


def cap_number(name: str) -> int:
    """``CAP_KILL`` (or ``KILL``) → 5; unknown names raise ``RuntimeCreateError``."""
    key = name.upper() if name.upper().startswith("CAP_") else "CAP_" + name.upper()
    if key not in CAPABILITY_NUMBERS:
        raise RuntimeCreateError(f'unknown capability "{name}"')
    return CAPABILITY_NUMBERS[key]


def cap_mask(names: Iterable[str], highest: int) -> int:
    """The bit mask of ``names``, ignoring capabilities the kernel does not know."""
    mask = 0
    for name in names:
        number = cap_number(name)
        if number <= highest:
            mask |= 1 << number
    return mask
