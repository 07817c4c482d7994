"""DNS messages (RFC 1035) as the embedded resolver needs them: queries in, answers out.

Parsing accepts one question and tolerates an EDNS OPT record (RFC 6891) in the additional
section; anything else malformed raises ``DnsFormatError`` so the caller can answer FORMERR (when
the header could be read) or drop the datagram. Responses echo the question's wire bytes as
received (so 0x20 case randomisation survives) and set TC when the answers do not fit.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Sequence
from dataclasses import dataclass

TYPE_A = 1
TYPE_PTR = 12
TYPE_AAAA = 28
TYPE_OPT = 41
CLASS_IN = 1

RCODE_NOERROR = 0
RCODE_FORMERR = 1
RCODE_SERVFAIL = 2
RCODE_NXDOMAIN = 3
RCODE_NOTIMP = 4
RCODE_REFUSED = 5

HEADER_SIZE = 12
CLASSIC_UDP_LIMIT = 512
TCP_LIMIT = 65535
SERVER_EDNS_SIZE = 1232
DEFAULT_TTL = 600

_FLAG_QR = 0x8000
_FLAG_AA = 0x0400
_FLAG_TC = 0x0200
_FLAG_RD = 0x0100
_FLAG_RA = 0x0080
_MAX_POINTER_JUMPS = 16
_MAX_NAME_LENGTH = 255


class DnsFormatError(ValueError):
    """The bytes are not a DNS query this codec accepts."""


@dataclass(frozen=True)
class Question:
    name: str  # dotted, no trailing dot, as sent (case kept)
    qtype: int
    qclass: int


@dataclass(frozen=True)
class Query:
    id: int
    flags: int
    question: Question
    question_wire: bytes  # the question section exactly as received
    edns_size: int | None  # the client's advertised UDP payload size, if it sent OPT

    @property
    def opcode(self) -> int:
        return (self.flags >> 11) & 0xF

    def udp_limit(self) -> int:
        """The largest UDP response this client accepts."""
        if self.edns_size is None:
            return CLASSIC_UDP_LIMIT
        return max(CLASSIC_UDP_LIMIT, self.edns_size)


@dataclass(frozen=True)
class Record:
    """An answer owned by the question's name."""

    rtype: int
    ttl: int
    rdata: bytes


def address_record(address: ipaddress.IPv4Address | ipaddress.IPv6Address,
                   ttl: int = DEFAULT_TTL) -> Record:
    rtype = TYPE_A if address.version == 4 else TYPE_AAAA
    return Record(rtype, ttl, address.packed)


def ptr_record(target: str, ttl: int = DEFAULT_TTL) -> Record:
    return Record(TYPE_PTR, ttl, encode_name(target))


def encode_name(name: str) -> bytes:
    """A dotted name in wire form (uncompressed)."""
    out = bytearray()
    for label in name.rstrip(".").split("."):
        if not label:
            continue
        raw = label.encode("latin-1")
        if len(raw) > 63:
            raise ValueError(f"DNS label too long: {label!r}")
        out += bytes([len(raw)]) + raw
    out.append(0)
    if len(out) > _MAX_NAME_LENGTH:
        raise ValueError(f"DNS name too long: {name!r}")
    return bytes(out)


def read_name(data: bytes, offset: int) -> tuple[str, int]:
    """The name at ``offset`` and the offset just after it (pointers followed, bounded)."""
    labels: list[str] = []
    end: int | None = None
    total = 0
    for _ in range(_MAX_NAME_LENGTH):
        if offset >= len(data):
            raise DnsFormatError("name runs past the message")
        length = data[offset]
        if length & 0xC0 == 0xC0:
            if end is None:
                end = offset + 2
            offset = _pointer_target(data, offset)
            continue
        if length & 0xC0:
            raise DnsFormatError("unsupported label type")
        if length == 0:
            return ".".join(labels), (end if end is not None else offset + 1)
        label = data[offset + 1 : offset + 1 + length]
        if len(label) != length:
            raise DnsFormatError("label runs past the message")
        total += length + 1
        if total > _MAX_NAME_LENGTH:
            raise DnsFormatError("name too long")
        labels.append(label.decode("latin-1"))
        offset += 1 + length
    raise DnsFormatError("name too long")


def _pointer_target(data: bytes, offset: int) -> int:
    if offset + 1 >= len(data):
        raise DnsFormatError("pointer runs past the message")
    target = ((data[offset] & 0x3F) << 8) | data[offset + 1]
    if target >= offset:
        raise DnsFormatError("compression pointer does not point backwards")
    return target


def parse_query(data: bytes) -> Query:
    """A query with one question; raises ``DnsFormatError`` on anything else."""
    if len(data) < HEADER_SIZE:
        raise DnsFormatError("shorter than a header")
    ident, flags, qdcount, ancount, nscount, arcount = struct.unpack_from("!6H", data)
    if flags & _FLAG_QR:
        raise DnsFormatError("a response, not a query")
    if qdcount != 1:
        raise DnsFormatError(f"{qdcount} questions")
    name, offset = read_name(data, HEADER_SIZE)
    if offset + 4 > len(data):
        raise DnsFormatError("question runs past the message")
    qtype, qclass = struct.unpack_from("!HH", data, offset)
    question_wire = data[HEADER_SIZE : offset + 4]
    edns_size = _find_edns_size(data, offset + 4, ancount + nscount, arcount)
    return Query(ident, flags, Question(name, qtype, qclass), question_wire, edns_size)


def _find_edns_size(data: bytes, offset: int, skipped: int, additional: int) -> int | None:
    edns_size: int | None = None
    for index in range(skipped + additional):
        _, offset = read_name(data, offset)
        if offset + 10 > len(data):
            raise DnsFormatError("record runs past the message")
        rtype, rclass, _, rdlength = struct.unpack_from("!HHIH", data, offset)
        offset += 10 + rdlength
        if offset > len(data):
            raise DnsFormatError("record data runs past the message")
        if rtype == TYPE_OPT and index >= skipped:
            edns_size = rclass
    return edns_size


def error_for_bytes(data: bytes, rcode: int = RCODE_FORMERR) -> bytes | None:
    """An error answer to bytes that did not parse, or None when they deserve no answer."""
    if len(data) < HEADER_SIZE:
        return None
    ident, flags = struct.unpack_from("!HH", data)
    if flags & _FLAG_QR:
        return None
    reply_flags = _reply_flags(flags, rcode)
    return struct.pack("!6H", ident, reply_flags, 0, 0, 0, 0)


def _reply_flags(query_flags: int, rcode: int) -> int:
    opcode_bits = query_flags & 0x7800
    return _FLAG_QR | opcode_bits | (query_flags & _FLAG_RD) | _FLAG_RA | (rcode & 0xF)


def build_response(query: Query, rcode: int, answers: Sequence[Record] = (),
                   *, limit: int = CLASSIC_UDP_LIMIT) -> bytes:
    """The answer to ``query``; answers that do not fit in ``limit`` bytes are cut and TC set."""
    opt = _opt_record() if query.edns_size is not None else b""
    body = bytearray(query.question_wire)
    fixed = HEADER_SIZE + len(body) + len(opt)
    encoded = [_encode_answer(record) for record in answers]
    kept = 0
    for chunk in encoded:
        if fixed + len(chunk) > limit:
            break
        body += chunk
        fixed += len(chunk)
        kept += 1
    flags = _reply_flags(query.flags, rcode) | (_FLAG_TC if kept < len(encoded) else 0)
    header = struct.pack("!6H", query.id, flags, 1, kept, 0, 1 if opt else 0)
    return header + bytes(body) + opt


def _encode_answer(record: Record) -> bytes:
    owner_pointer = 0xC000 | HEADER_SIZE
    fixed = struct.pack("!HHHIH", owner_pointer, record.rtype, CLASS_IN, record.ttl,
                        len(record.rdata))
    return fixed + record.rdata


def _opt_record() -> bytes:
    return b"\x00" + struct.pack("!HHIH", TYPE_OPT, SERVER_EDNS_SIZE, 0, 0)


def response_rcode(data: bytes) -> int:
    """The RCODE of a response (for forwarded answers); raises on a short message."""
    if len(data) < HEADER_SIZE:
        raise DnsFormatError("shorter than a header")
    return int(struct.unpack_from("!H", data, 2)[0]) & 0xF


def answers_query(data: bytes, ident: int) -> bool:
    """Whether ``data`` is a response carrying the id ``ident``."""
    if len(data) < HEADER_SIZE:
        return False
    got_id, flags = struct.unpack_from("!HH", data)
    return got_id == ident and bool(flags & _FLAG_QR)


def is_authoritative(data: bytes) -> bool:
    return len(data) >= 4 and bool(struct.unpack_from("!H", data, 2)[0] & _FLAG_AA)


def is_truncated(data: bytes) -> bool:
    return len(data) >= 4 and bool(struct.unpack_from("!H", data, 2)[0] & _FLAG_TC)
