"""The device cgroup rules a runtime adds after the spec's own (runc's default allowed devices).

An engine such as dockerd sends "deny all" plus a short allow list and leaves the rest to the
runtime: mknod of any node, the standard character devices (/dev/null, zero, full, random,
urandom, tty), the console and PTYs, and tun. Rules are appended, so they come after the
spec's and win (the last matching rule decides). A spec without device rules gets none: its
container keeps what its parent cgroup allows.
"""

from __future__ import annotations

from typing import Any

WILDCARD = None


def _rule(kind: str, major: int | None, minor: int | None, access: str) -> dict[str, Any]:
    rule: dict[str, Any] = {"allow": True, "type": kind, "access": access}
    if major is not None:
        rule["major"] = major
    if minor is not None:
        rule["minor"] = minor
    return rule


DEFAULT_ALLOWED_DEVICES: tuple[dict[str, Any], ...] = (
    _rule("c", WILDCARD, WILDCARD, "m"),   # mknod of any character device
    _rule("b", WILDCARD, WILDCARD, "m"),   # mknod of any block device
    _rule("c", 1, 3, "rwm"),               # /dev/null
    _rule("c", 1, 5, "rwm"),               # /dev/zero
    _rule("c", 1, 7, "rwm"),               # /dev/full
    _rule("c", 1, 8, "rwm"),               # /dev/random
    _rule("c", 1, 9, "rwm"),               # /dev/urandom
    _rule("c", 5, 0, "rwm"),               # /dev/tty
    _rule("c", 5, 1, "rwm"),               # /dev/console
    _rule("c", 5, 2, "rwm"),               # /dev/ptmx
    _rule("c", 136, WILDCARD, "rwm"),      # /dev/pts/*
    _rule("c", 10, 200, "rwm"),            # /dev/net/tun
)


def with_default_device_rules(resources: dict[str, Any]) -> dict[str, Any]:
    """``linux.resources`` with the default allowed devices after the spec's rules."""
    rules = list(resources.get("devices") or ())
    if not rules:
        return resources
    return {**resources, "devices": [*rules, *DEFAULT_ALLOWED_DEVICES]}
