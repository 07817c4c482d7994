from __future__ import annotations

import io

import pytest

from wharf.client import wire


def head(raw: bytes, method: str = "GET") -> wire.Response:
    return wire.read_response_head(io.BufferedReader(io.BytesIO(raw)), method)  # type: ignore[arg-type]


def test_content_length_body() -> None:
    response = head(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nApi-Version: 1.45\r\n\r\nhelloEXTRA")
    assert response.status == 200
    assert response.header("API-VERSION") == "1.45"
    assert response.read() == b"hello"
    assert wire.keeps_alive(response)


def test_chunked_body_and_lines() -> None:
    raw = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"4\r\n{\"a\"\r\n8\r\n:1}\n{\"b\"\r\n4\r\n:2}\n\r\n0\r\n\r\n")
    response = head(raw)
    assert list(response.iter_lines()) == [b'{"a":1}', b'{"b":2}']
    assert response.done


def test_body_until_eof_does_not_keep_alive() -> None:
    response = head(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nraw stream")
    assert response.read() == b"raw stream"
    assert not wire.keeps_alive(response)


def test_no_body_statuses() -> None:
    assert head(b"HTTP/1.1 204 No Content\r\n\r\n").read() == b""
    assert head(b"HTTP/1.1 304 Not Modified\r\n\r\n").read() == b""


def test_upgrade_leaves_the_stream() -> None:
    response = head(b"HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp\r\n\r\n\x01\x00\x00\x00")
    assert response.status == 101
    assert response.read() == b"\x01\x00\x00\x00"
    assert not wire.keeps_alive(response)


def test_truncated_body_is_an_error() -> None:
    response = head(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
    with pytest.raises(wire.ProtocolError):
        response.read()


def test_garbage_status_line() -> None:
    with pytest.raises(wire.ProtocolError):
        head(b"SSH-2.0-OpenSSH\r\n\r\n")
    with pytest.raises(wire.ProtocolError):
        head(b"")


def test_encode_request() -> None:
    data = wire.encode_request("POST", "/v1.47/containers/x/start", "api.moby.localhost",
                               {"User-Agent": "t"}, None)
    assert data.startswith(b"POST /v1.47/containers/x/start HTTP/1.1\r\n")
    assert b"Host: api.moby.localhost\r\n" in data
    assert b"Content-Length: 0\r\n" in data and data.endswith(b"\r\n\r\n")
    get = wire.encode_request("GET", "/_ping", "h", {}, None)
    assert b"Content-Length" not in get
    chunked = wire.encode_request("POST", "/x", "h", {}, None, chunked=True)
    assert b"Transfer-Encoding: chunked" in chunked
    assert wire.encode_chunk(b"abc") == b"3\r\nabc\r\n"
    assert wire.encode_chunk(b"") == b"0\r\n\r\n"
