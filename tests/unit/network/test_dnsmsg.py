from __future__ import annotations

import ipaddress
import struct

import pytest
from tests.unit.network.dns_wire import answer_rdatas, header_fields, query_bytes, wire_name

from wharf.network import dnsmsg


def test_parse_query_reads_header_question_and_keeps_case() -> None:
    query = dnsmsg.parse_query(query_bytes("WeB.Example", 28, ident=77))
    assert query.id == 77
    assert query.question == dnsmsg.Question("WeB.Example", 28, 1)
    assert query.edns_size is None
    assert query.udp_limit() == 512
    assert query.opcode == 0


def test_parse_query_tolerates_edns_opt_and_uses_its_size() -> None:
    query = dnsmsg.parse_query(query_bytes("a.b", edns_size=1400))
    assert query.edns_size == 1400
    assert query.udp_limit() == 1400
    assert dnsmsg.parse_query(query_bytes("a.b", edns_size=100)).udp_limit() == 512


def test_parse_query_follows_a_backward_pointer() -> None:
    header = struct.pack("!6H", 1, 0, 1, 0, 0, 1)
    question = wire_name("x.net") + struct.pack("!HH", 1, 1)
    # an additional record whose owner is a pointer to the question's name (offset 12)
    extra = b"\xc0\x0c" + struct.pack("!HHIH", 41, 2048, 0, 0)
    assert dnsmsg.parse_query(header + question + extra).edns_size == 2048


@pytest.mark.parametrize("data", [
    b"",
    b"\x00" * 11,
    struct.pack("!6H", 1, 0, 0, 0, 0, 0),  # no question
    struct.pack("!6H", 1, 0, 2, 0, 0, 0) + wire_name("a") + b"\x00\x01\x00\x01",
    struct.pack("!6H", 1, 0x8000, 1, 0, 0, 0) + wire_name("a") + b"\x00\x01\x00\x01",
    struct.pack("!6H", 1, 0, 1, 0, 0, 0) + b"\x05ab",  # label past the end
    struct.pack("!6H", 1, 0, 1, 0, 0, 0) + b"\xc0\x0c\x00\x01\x00\x01",  # pointer loop
    struct.pack("!6H", 1, 0, 1, 0, 0, 0) + b"\x80a\x00\x00\x01\x00\x01",  # label type 10
    struct.pack("!6H", 1, 0, 1, 0, 0, 0) + wire_name("a") + b"\x00",  # short question
    struct.pack("!6H", 1, 0, 1, 0, 0, 1) + wire_name("a") + b"\x00\x01\x00\x01\x00",
    struct.pack("!6H", 1, 0, 1, 0, 0, 0) + (b"\x3f" + b"a" * 63) * 5 + b"\x00\x00\x01\x00\x01",
])
def test_malformed_input_raises_format_error(data: bytes) -> None:
    with pytest.raises(dnsmsg.DnsFormatError):
        dnsmsg.parse_query(data)


def test_error_for_bytes_answers_formerr_or_drops() -> None:
    bad = struct.pack("!6H", 9, 0x0100, 0, 0, 0, 0)
    reply = dnsmsg.error_for_bytes(bad)
    assert reply is not None
    ident, flags, *_counts = header_fields(reply)
    assert ident == 9 and flags & 0x8000 and flags & 0xF == dnsmsg.RCODE_FORMERR
    assert dnsmsg.error_for_bytes(b"\x00\x01") is None
    assert dnsmsg.error_for_bytes(struct.pack("!6H", 9, 0x8000, 0, 0, 0, 0)) is None


def test_build_response_with_addresses() -> None:
    data = query_bytes("Web", 1, ident=5)
    query = dnsmsg.parse_query(data)
    records = [dnsmsg.address_record(ipaddress.ip_address("10.0.0.2")),
               dnsmsg.address_record(ipaddress.ip_address("fd00::3"))]
    reply = dnsmsg.build_response(query, dnsmsg.RCODE_NOERROR, records)
    ident, flags, qd, an, _ns, ar = header_fields(reply)
    assert (ident, qd, an, ar) == (5, 1, 2, 0)
    assert flags & 0x8000 and flags & 0x0100 and flags & 0x0080 and not flags & 0x0200
    assert reply[12 : 12 + len(query.question_wire)] == query.question_wire
    rdatas = answer_rdatas(reply, len(query.question_wire))
    assert rdatas == [(1, bytes([10, 0, 0, 2])), (28, ipaddress.ip_address("fd00::3").packed)]


@pytest.mark.parametrize("rcode", [dnsmsg.RCODE_NXDOMAIN, dnsmsg.RCODE_SERVFAIL,
                                   dnsmsg.RCODE_REFUSED, dnsmsg.RCODE_NOERROR])
def test_build_response_error_codes_carry_no_answers(rcode: int) -> None:
    reply = dnsmsg.build_response(dnsmsg.parse_query(query_bytes("x")), rcode)
    _ident, flags, qd, an, _ns, _ar = header_fields(reply)
    assert flags & 0xF == rcode and qd == 1 and an == 0
    assert dnsmsg.response_rcode(reply) == rcode


def test_response_over_the_udp_limit_is_truncated_with_tc() -> None:
    query = dnsmsg.parse_query(query_bytes("many"))
    records = [dnsmsg.address_record(ipaddress.IPv4Address(0x0A000000 + i)) for i in range(60)]
    reply = dnsmsg.build_response(query, dnsmsg.RCODE_NOERROR, records)
    _ident, _flags, _qd, an, _ns, _ar = header_fields(reply)
    assert len(reply) <= 512 and 0 < an < 60
    assert dnsmsg.is_truncated(reply)
    whole = dnsmsg.build_response(query, dnsmsg.RCODE_NOERROR, records, limit=dnsmsg.TCP_LIMIT)
    assert header_fields(whole)[3] == 60 and not dnsmsg.is_truncated(whole)


def test_edns_query_gets_an_opt_record_and_its_larger_limit() -> None:
    query = dnsmsg.parse_query(query_bytes("many", edns_size=4096))
    records = [dnsmsg.address_record(ipaddress.IPv4Address(0x0A000000 + i)) for i in range(60)]
    reply = dnsmsg.build_response(query, dnsmsg.RCODE_NOERROR, records, limit=query.udp_limit())
    _ident, _flags, _qd, an, _ns, ar = header_fields(reply)
    assert an == 60 and ar == 1 and not dnsmsg.is_truncated(reply)
    assert reply[-11:-8] == b"\x00\x00\x29"  # root owner, type OPT


def test_ptr_record_rdata_is_a_wire_name() -> None:
    assert dnsmsg.ptr_record("web.net").rdata == wire_name("web.net")
    with pytest.raises(ValueError):
        dnsmsg.encode_name("a" * 64)


def test_opcode_other_than_query_is_visible() -> None:
    assert dnsmsg.parse_query(query_bytes("x", flags=0x2000)).opcode == 4
