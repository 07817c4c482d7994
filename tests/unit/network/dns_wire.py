"""Hand-built DNS wire messages for the DNS tests (independent of the codec under test)."""

from __future__ import annotations

import struct


def wire_name(name: str) -> bytes:
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def query_bytes(name: str, qtype: int = 1, *, ident: int = 0x1234, flags: int = 0x0100,
                edns_size: int | None = None) -> bytes:
    additional = 1 if edns_size is not None else 0
    header = struct.pack("!6H", ident, flags, 1, 0, 0, additional)
    body = wire_name(name) + struct.pack("!HH", qtype, 1)
    if edns_size is not None:
        body += b"\x00" + struct.pack("!HHIH", 41, edns_size, 0, 0)
    return header + body


def header_fields(message: bytes) -> tuple[int, int, int, int, int, int]:
    ident, flags, qd, an, ns, ar = struct.unpack_from("!6H", message)
    return ident, flags, qd, an, ns, ar


def answer_rdatas(message: bytes, question_len: int) -> list[tuple[int, bytes]]:
    """(type, rdata) of each answer; owners are compression pointers (2 bytes)."""
    _, _, _, ancount, _, _ = header_fields(message)
    offset = 12 + question_len
    found: list[tuple[int, bytes]] = []
    for _ in range(ancount):
        assert message[offset] & 0xC0 == 0xC0
        rtype, _cls, _ttl, length = struct.unpack_from("!HHIH", message, offset + 2)
        start = offset + 12
        found.append((rtype, message[start : start + length]))
        offset = start + length
    return found
