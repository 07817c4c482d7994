"""Arbitrary bytes never crash the codec or the responder: an answer, FORMERR, or nothing."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.network.dns_wire import query_bytes

from wharf.network import dnsmsg
from wharf.network.dns_names import Endpoint, NameResolver, NetworkNames
from wharf.network.dns_server import DnsResponder, ForwardSettings

FUZZ = settings(max_examples=300, deadline=None, derandomize=True)
ASKER = "a" * 64


def _responder() -> DnsResponder:
    net = NetworkNames("net")
    net.attach(Endpoint(ASKER, "web", (), ipaddress.IPv4Address("10.0.0.2")))
    names = NameResolver({"net": net})
    return DnsResponder(lambda q, _c: names.decide(ASKER, q.name, q.qtype), ForwardSettings())


@FUZZ
@given(st.binary(max_size=600))
def test_parse_query_raises_only_format_errors(data: bytes) -> None:
    with contextlib.suppress(dnsmsg.DnsFormatError):
        dnsmsg.parse_query(data)


@FUZZ
@given(st.binary(max_size=64), st.integers(12, 40), st.booleans())
def test_responder_survives_corrupted_queries(noise: bytes, cut: int, tcp: bool) -> None:
    valid = query_bytes("web", edns_size=1232)
    data = valid[:cut] + noise
    reply = asyncio.run(_responder().respond(data, ("127.0.0.1", 1), tcp=tcp))
    if reply is not None:
        assert len(reply) >= dnsmsg.HEADER_SIZE and reply[:2] == data[:2]
        assert reply[2] & 0x80  # QR: it is a response
