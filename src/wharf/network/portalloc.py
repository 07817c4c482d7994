"""Host port allocation for published ports, as moby's portallocator.

Ports are tracked per (host IP, proto). A request names one port, a range, or nothing: nothing
means the ephemeral range (``/proc/sys/net/ipv4/ip_local_port_range``, its text passed in),
searched from just after the last port handed out, wrapping once. A port held on the
unspecified address (``0.0.0.0`` / ``::``) also blocks the same port on a specific address of
that family, and the other way round, since the kernel's bind would refuse it as well.
State is plain data (:meth:`PortAllocator.snapshot` / :meth:`PortAllocator.restore`) so the
daemon can persist it and rebuild it at start.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field

from wharf.core.errors import Conflict, InvalidParameter

__all__ = [
    "DEFAULT_EPHEMERAL",
    "PortAllocator",
    "parse_ephemeral_range",
]

DEFAULT_EPHEMERAL = (49153, 65535)
PROTOS = ("tcp", "udp", "sctp")

Key = tuple[str, str]  # (normalized host ip, proto)
RangeKey = tuple[str, str, int, int]  # (ip, proto, first, last): moby keeps "last" per range
Busy = Callable[[str, str, int], bool]  # (ip, proto, port): another host socket holds it


def never_busy(_ip: str, _proto: str, _port: int) -> bool:
    return False


def parse_ephemeral_range(text: str | None) -> tuple[int, int]:
    """The ``ip_local_port_range`` file's text ("32768\\t60999\\n") → (32768, 60999).

    Unreadable or malformed text gives moby's fallback, 49153-65535.
    """
    if not text:
        return DEFAULT_EPHEMERAL
    fields = text.split()
    if len(fields) != 2 or not all(f.isdigit() for f in fields):
        return DEFAULT_EPHEMERAL
    start, end = int(fields[0]), int(fields[1])
    if not 0 < start <= end <= 65535:
        return DEFAULT_EPHEMERAL
    return start, end


def _normalize_ip(ip: str) -> str:
    if not ip:
        return "0.0.0.0"
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        raise InvalidParameter(f"invalid IP address: {ip}") from None


def _is_unspecified(ip: str) -> bool:
    return ipaddress.ip_address(ip).is_unspecified


def _same_family(a: str, b: str) -> bool:
    return ipaddress.ip_address(a).version == ipaddress.ip_address(b).version


def _host_port_range(text: str) -> tuple[int, int]:
    """A PortBinding's ``HostPort``: "" (ephemeral), "8080", or "8000-8010"."""
    if not text:
        return 0, 0
    parts = text.split("-")
    if len(parts) > 2 or not all(part.isascii() and part.isdigit() for part in parts):
        raise InvalidParameter(f"Invalid hostPort: {text}")
    return int(parts[0]), int(parts[-1])


def _bind_text(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


@dataclass
class PortAllocator:
    """Which host ports are held, per (ip, proto); the last dynamic pick per (ip, proto)."""

    ephemeral: tuple[int, int] = DEFAULT_EPHEMERAL
    held: dict[Key, set[int]] = field(default_factory=dict)
    last: dict[RangeKey, int] = field(default_factory=dict)
    # a dynamic pick skips ports a host process holds (the daemon passes a bind probe): the
    # ephemeral range overlaps the kernel's own for outgoing connections, and moby retries too
    busy: Busy = field(default=never_busy, repr=False, compare=False)

    def request(self, ip: str, proto: str, start: int = 0, end: int = 0) -> int:
        """Hold a port: ``start`` alone (end 0 or equal), a range, or 0/0 for an ephemeral one."""
        key = self._key(ip, proto)
        if start and (not end or end == start):
            self._take_exact(key, start)
            return start
        if start == 0 and end == 0:
            first, last = self.ephemeral
        elif 0 < start < end <= 65535:
            first, last = start, end
        else:
            raise InvalidParameter(f"invalid port range: {start}-{end}")
        return self._take_free(key, first, last)

    def request_binding(
        self, host_ip: str, proto: str, host_port: str, dual: bool
    ) -> list[tuple[str, int]]:
        """Hold the host side of one PortBinding (``HostPort`` "", "8080" or "8000-8010").

        An empty ``host_ip`` with ``dual`` holds the same port on ``0.0.0.0`` and ``::``, as
        Docker publishes on both families. Returns the (ip, port) pairs held; on failure nothing
        stays held.
        """
        start, end = _host_port_range(host_port)
        if host_ip or not dual:
            ip = host_ip or "0.0.0.0"
            return [(_normalize_ip(ip), self.request(ip, proto, start, end))]
        first, last = (start, end) if start else self.ephemeral
        for _ in range(last - first + 1):
            port = self.request("0.0.0.0", proto, start, end)
            if not self._conflicts(self._key("::", proto), port):
                self.request("::", proto, port)
                return [("0.0.0.0", port), ("::", port)]
            self.release("0.0.0.0", proto, port)
            if start == end and start:
                self.request("::", proto, port)  # raises Docker's message for [::]
        raise Conflict("all ports are allocated")

    def release(self, ip: str, proto: str, port: int) -> None:
        """Give a port back; releasing one not held is not an error (moby ignores it too)."""
        self.held.get(self._key(ip, proto), set()).discard(port)

    def release_all(self) -> None:
        self.held.clear()
        self.last.clear()

    def is_held(self, ip: str, proto: str, port: int) -> bool:
        return self._conflicts(self._key(ip, proto), port)

    def snapshot(self) -> list[dict[str, object]]:
        """Held ports as JSON-able records, sorted."""
        return [
            {"ip": ip, "proto": proto, "ports": sorted(ports)}
            for (ip, proto), ports in sorted(self.held.items())
            if ports
        ]

    def restore(self, records: list[dict[str, object]]) -> None:
        """Hold again what :meth:`snapshot` wrote (after a daemon restart)."""
        for record in records:
            key = self._key(str(record["ip"]), str(record["proto"]))
            ports = record["ports"]
            if not isinstance(ports, list):
                raise InvalidParameter(f"bad port record: {record!r}")
            self.held.setdefault(key, set()).update(int(p) for p in ports)

    def _key(self, ip: str, proto: str) -> Key:
        if proto not in PROTOS:
            raise InvalidParameter("unknown protocol")
        return _normalize_ip(ip), proto

    def _conflicts(self, key: Key, port: int) -> bool:
        ip, proto = key
        for (other_ip, other_proto), ports in self.held.items():
            if other_proto != proto or port not in ports or not _same_family(ip, other_ip):
                continue
            if other_ip == ip or _is_unspecified(ip) or _is_unspecified(other_ip):
                return True
        return False

    def _take_exact(self, key: Key, port: int) -> None:
        if not 0 < port <= 65535:
            raise InvalidParameter(f"invalid port range: {port}-{port}")
        if self._conflicts(key, port):
            raise Conflict(f"Bind for {_bind_text(key[0], port)} failed: port is already allocated")
        self.held.setdefault(key, set()).add(port)

    def _take_free(self, key: Key, first: int, last: int) -> int:
        range_key = (*key, first, last)
        previous = self.last.get(range_key, last)
        begin = previous + 1 if first <= previous < last else first
        span = last - first + 1
        for step in range(span):
            port = first + (begin - first + step) % span
            if not self._conflicts(key, port) and not self.busy(*key, port):
                self.held.setdefault(key, set()).add(port)
                self.last[range_key] = port
                return port
        raise Conflict("all ports are allocated")
