"""The ``local`` driver's options (``--opt type=… device=… o=…``), checked as dockerd's local
driver checks them, and ``o`` split into mount(2) flags and filesystem data (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from wharf.core.errors import InvalidParameter

__all__ = ["MountRequest", "mount_request", "validate_options"]

_VALID = ("type", "o", "device", "size")
# an option present needs these too (dockerd's ``mandatoryOpts``)
_REQUIRES = {"device": ("type",), "type": ("device",), "o": ("device", "type")}

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_SYNCHRONOUS, MS_NOATIME, MS_NODIRATIME, MS_BIND = 16, 1024, 2048, 4096
MS_REMOUNT, MS_REC, MS_RELATIME, MS_STRICTATIME = 32, 16384, 1 << 21, 1 << 24
# option → (flags set, flags cleared), as the mount(8) words
_FLAGS: dict[str, tuple[int, int]] = {
    "ro": (MS_RDONLY, 0), "rw": (0, MS_RDONLY), "nosuid": (MS_NOSUID, 0),
    "suid": (0, MS_NOSUID), "nodev": (MS_NODEV, 0), "dev": (0, MS_NODEV),
    "noexec": (MS_NOEXEC, 0), "exec": (0, MS_NOEXEC), "sync": (MS_SYNCHRONOUS, 0),
    "async": (0, MS_SYNCHRONOUS), "noatime": (MS_NOATIME, 0), "atime": (0, MS_NOATIME),
    "nodiratime": (MS_NODIRATIME, 0), "diratime": (0, MS_NODIRATIME),
    "relatime": (MS_RELATIME, 0), "norelatime": (0, MS_RELATIME),
    "strictatime": (MS_STRICTATIME, 0), "nostrictatime": (0, MS_STRICTATIME),
    "bind": (MS_BIND, 0), "rbind": (MS_BIND | MS_REC, 0), "defaults": (0, 0),
}


def validate_options(options: Mapping[str, str]) -> None:
    """dockerd's local driver checks, its words: unknown keys, ``size`` (needs a quota-capable
    filesystem, which wharf does not set up), and the keys that go together."""
    for key in options:
        if key not in _VALID:
            raise InvalidParameter(f'invalid option: "{key}"')
    if "size" in options:
        raise InvalidParameter("quota size requested but no quota support")
    for key, needed in _REQUIRES.items():
        if key in options:
            for other in needed:
                if other not in options:
                    raise InvalidParameter(f'missing required option: "{other}"')


@dataclass(frozen=True)
class MountRequest:
    """One mount(2) call: what to mount, its filesystem type, flags and data."""

    source: str
    fstype: str
    flags: int
    data: str


def mount_request(options: Mapping[str, str]) -> MountRequest | None:
    """The mount a volume's options ask for; None for a plain directory. ``o=bind`` makes a
    bind mount of ``device`` (its fstype is ignored, as mount(8) ignores it)."""
    if not options.get("type") and not options.get("device"):
        return None
    flags, data = 0, []
    for word in filter(None, options.get("o", "").split(",")):
        if word in _FLAGS:
            add, clear = _FLAGS[word]
            flags = (flags | add) & ~clear
        else:
            data.append(word)
    fstype = "" if flags & MS_BIND else options.get("type", "")
    return MountRequest(options.get("device", ""), fstype, flags, ",".join(data))
