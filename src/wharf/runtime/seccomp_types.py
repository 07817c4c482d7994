"""The shape of a Docker seccomp profile (moby's ``seccomp.Seccomp``), to refuse a malformed
profile when the container is created rather than when the runtime compiles it at start.

Only what the BPF compiler relies on is typed: actions and operators are names libseccomp
knows; everything else passes through unchanged (unknown keys are ignored, as Go ignores them).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from wharf.core.errors import InvalidParameter

Action = Literal["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                 "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",
                 "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"]
Operator = Literal["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
                   "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"]
UInt = Annotated[int, msgspec.Meta(ge=0)]  # msgspec bounds ints to 64 bits


class _Arg(msgspec.Struct):
    index: UInt = 0
    value: UInt = 0
    valueTwo: UInt = 0  # the profile's own spellings
    op: Operator | None = None


class _Filter(msgspec.Struct):
    caps: list[str] | None = None
    arches: list[str] | None = None
    minKernel: str | None = None


class _Syscall(msgspec.Struct):
    names: list[str] | None = None
    name: str | None = None
    action: Action | None = None
    args: list[_Arg] | None = None
    errnoRet: UInt | None = None
    includes: _Filter | None = None
    excludes: _Filter | None = None


class _Profile(msgspec.Struct):
    defaultAction: Action | None = None
    defaultErrnoRet: UInt | None = None
    architectures: list[str] | None = None
    archMap: list[dict[str, Any]] | None = None
    syscalls: list[_Syscall] | None = None
    flags: list[str] | None = None


def check_profile(profile: dict[str, Any]) -> None:
    """400 naming the first malformed part of ``profile``."""
    try:
        msgspec.convert(profile, _Profile)
    except msgspec.ValidationError as err:
        raise InvalidParameter(f"invalid seccomp profile: {err}") from None
