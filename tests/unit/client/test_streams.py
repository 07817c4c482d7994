from __future__ import annotations

import pytest

from wharf.client.streams import Demuxer, StreamError, copy_demuxed, demux, encode_frame


def test_frame_header_layout() -> None:
    assert encode_frame(2, b"err") == b"\x02\x00\x00\x00\x00\x00\x00\x03err"


def test_demux_across_arbitrary_splits() -> None:
    data = encode_frame(1, b"hello ") + encode_frame(2, b"oops") + encode_frame(1, b"world")
    for size in range(1, len(data) + 1):
        pieces = [data[i:i + size] for i in range(0, len(data), size)]
        assert list(demux(pieces)) == [(1, b"hello "), (2, b"oops"), (1, b"world")]


def test_incomplete_frame_stays_pending() -> None:
    demuxer = Demuxer()
    assert list(demuxer.feed(encode_frame(1, b"abcdef")[:10])) == []
    assert demuxer.pending == 10


def test_copy_routes_streams_and_reports_system_errors() -> None:
    out: list[bytes] = []
    err: list[bytes] = []
    copy_demuxed([encode_frame(1, b"o"), encode_frame(2, b"e"), encode_frame(0, b"i")],
                 out.append, err.append)
    assert out == [b"o", b"i"] and err == [b"e"]
    with pytest.raises(StreamError, match="boom"):
        copy_demuxed([encode_frame(3, b"boom")], out.append, err.append)
    with pytest.raises(StreamError, match="Unrecognized input header"):
        list(demux([b"\x09\x00\x00\x00\x00\x00\x00\x00"]))
