"""Docker-format seccomp profiles turned into the OCI ``linux.seccomp`` section.

Docker's profile (moby ``profiles/seccomp/default.json``, shipped as package data) is a superset of
the OCI format: an ``archMap`` and per-rule ``includes``/``excludes`` conditions on the
container's capabilities, the CPU architecture and the kernel version. Conversion keeps the rules
whose conditions hold for this container on this host, as moby's ``setupSeccomp`` does.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["Host", "default_profile", "host", "to_oci"]

# platform.machine() → (Go's GOARCH, as moby's "arches" use, libseccomp's name)
_ARCHES = {
    "x86_64": ("amd64", "SCMP_ARCH_X86_64"),
    "aarch64": ("arm64", "SCMP_ARCH_AARCH64"),
    "armv7l": ("arm", "SCMP_ARCH_ARM"),
    "i686": ("386", "SCMP_ARCH_X86"),
    "ppc64le": ("ppc64le", "SCMP_ARCH_PPC64LE"),
    "s390x": ("s390x", "SCMP_ARCH_S390X"),
    "riscv64": ("riscv64", "SCMP_ARCH_RISCV64"),
}
# Moby writes "x86" and "x32" for the 32-bit x86 flavours; Go says "386".
_GOARCH_ALIASES = {"386": {"386", "x86"}, "amd64": {"amd64"}}


@dataclass(frozen=True)
class Host:
    """What a profile's conditions are evaluated against."""

    goarch: str
    scmp_arch: str
    kernel: tuple[int, int]


def _kernel_version(release: str) -> tuple[int, int]:
    numbers = release.split("-")[0].split(".")
    try:
        return int(numbers[0]), int(numbers[1]) if len(numbers) > 1 else 0
    except ValueError:
        return 0, 0


def host() -> Host:
    """The running machine."""
    goarch, scmp = _ARCHES.get(platform.machine(), (platform.machine(), ""))
    return Host(goarch, scmp, _kernel_version(os.uname().release))


@cache
def _default_profile_text() -> str:
    return (resources.files("wharf.runtime") / "data" / "seccomp-default.json").read_text()


def default_profile() -> dict[str, Any]:
    """A fresh copy of Docker's default profile (Docker's format)."""
    profile: dict[str, Any] = json.loads(_default_profile_text())
    return profile


def _arch_matches(arches: list[str], goarch: str) -> bool:
    names = _GOARCH_ALIASES.get(goarch, {goarch})
    return any(a in names for a in arches)


def _min_kernel_reached(spec: str, kernel: tuple[int, int]) -> bool:
    return kernel >= _kernel_version(spec)


def _rule_applies(rule: dict[str, Any], caps: Collection[str], where: Host) -> bool:
    inc: dict[str, Any] = rule.get("includes") or {}
    exc: dict[str, Any] = rule.get("excludes") or {}
    if inc.get("arches") and not _arch_matches(inc["arches"], where.goarch):
        return False
    if inc.get("caps") and not all(c in caps for c in inc["caps"]):
        return False
    if inc.get("minKernel") and not _min_kernel_reached(inc["minKernel"], where.kernel):
        return False
    if exc.get("arches") and _arch_matches(exc["arches"], where.goarch):
        return False
    if exc.get("caps") and any(c in caps for c in exc["caps"]):
        return False
    return not (exc.get("minKernel") and _min_kernel_reached(exc["minKernel"], where.kernel))


def _architectures(profile: dict[str, Any], where: Host) -> list[str]:
    if profile.get("architectures"):
        return list(profile["architectures"])
    for entry in profile.get("archMap") or []:
        if entry.get("architecture") == where.scmp_arch:
            return [entry["architecture"], *entry.get("subArchitectures", [])]
    return []


def _oci_rule(rule: dict[str, Any]) -> dict[str, Any]:
    names = list(rule.get("names") or ([rule["name"]] if rule.get("name") else []))
    out: dict[str, Any] = {"names": names, "action": rule["action"]}
    if rule.get("args"):
        out["args"] = [
            {k: a[k] for k in ("index", "value", "valueTwo", "op") if k in a} for a in rule["args"]
        ]
    if rule.get("errnoRet") is not None:
        out["errnoRet"] = rule["errnoRet"]
    return out


def to_oci(profile: dict[str, Any], caps: Collection[str], where: Host) -> dict[str, Any]:
    """The OCI ``linux.seccomp`` for a container holding ``caps`` on ``where``."""
    if "defaultAction" not in profile:
        raise ValueError("seccomp profile has no defaultAction")
    out: dict[str, Any] = {"defaultAction": profile["defaultAction"]}
    if profile.get("defaultErrnoRet") is not None:
        out["defaultErrnoRet"] = profile["defaultErrnoRet"]
    arches = _architectures(profile, where)
    if arches:
        out["architectures"] = arches
    if profile.get("flags"):
        out["flags"] = list(profile["flags"])
    out["syscalls"] = [
        _oci_rule(rule)
        for rule in profile.get("syscalls") or []
        if _rule_applies(rule, caps, where) and (rule.get("names") or rule.get("name"))
    ]
    return out
