"""Platform specifiers (``os[/arch[/variant]]``) normalised as docker's client does (containerd's
``platforms.Parse``), for ``push --platform``, which sends the platform as OCI JSON."""

from __future__ import annotations

import json
import re

from wharf.cli.command import CommandFailed

COMPONENT = re.compile(r"^[A-Za-z0-9_.-]+$")
KNOWN_OS = frozenset({"aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos",
                      "ios", "js", "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris",
                      "windows", "zos"})
KNOWN_ARCH = frozenset({"386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be",
                        "loong64", "mips", "mipsle", "mips64", "mips64le", "ppc", "ppc64",
                        "ppc64le", "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64",
                        "wasm"})
HOST_OS = "linux"


def normalize_os(name: str) -> str:
    name = name.lower()
    return "darwin" if name == "macos" else name


def normalize_arch(arch: str, variant: str) -> tuple[str, str]:
    arch, variant = arch.lower(), variant.lower()
    if arch == "i386":
        return "386", ""
    if arch in ("x86_64", "x86-64", "amd64"):
        return "amd64", "" if variant == "v1" else variant
    if arch in ("aarch64", "arm64"):
        return "arm64", "v8" if variant in ("8", "v8", "v8.0") else variant
    if arch == "armhf":
        return "arm", "v7"
    if arch == "armel":
        return "arm", "v6"
    if arch == "arm":
        if variant in ("", "7"):
            return "arm", "v7"
        if variant in ("5", "6", "8"):
            return "arm", f"v{variant}"
    return arch, variant


def host_arch() -> str:
    """This machine's architecture in Go's names (``x86_64`` → ``amd64``)."""
    import os

    return normalize_arch(os.uname().machine, "")[0]


def parse_platform(text: str) -> dict[str, str]:
    """``{"architecture", "os"[, "variant"]}`` for a specifier, or docker's refusal."""
    parts = text.split("/")
    if not text or len(parts) > 3 or not all(COMPONENT.match(part) for part in parts):
        raise _invalid(text, "cannot parse platform specifier")
    if len(parts) == 1:
        if normalize_os(parts[0]) in KNOWN_OS:
            os_name, (arch, variant) = normalize_os(parts[0]), (host_arch(), "")
        else:
            arch, variant = normalize_arch(parts[0], "")
            if arch not in KNOWN_ARCH:
                raise _invalid(text, "unknown operating system or architecture")
            os_name = HOST_OS
    else:
        os_name = normalize_os(parts[0])
        arch, variant = normalize_arch(parts[1], parts[2] if len(parts) == 3 else "")
    platform = {"architecture": arch, "os": os_name}
    if variant:
        platform["variant"] = variant
    return platform


def platform_json(text: str) -> str:
    """The query value docker's client sends (Go's field order, compact)."""
    return json.dumps(parse_platform(text), separators=(",", ":"))


def _invalid(text: str, reason: str) -> CommandFailed:
    return CommandFailed(1, f'Invalid platform {text}"{text}": {reason}: invalid argument')
