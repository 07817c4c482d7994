from __future__ import annotations

import socket
import threading
from typing import Any, BinaryIO

import pytest

from wharf.client.api import Client
from wharf.client.streams import demux, encode_frame
from wharf.client.transport import ConnectionFailed, encode_query, negotiate, quote
from wharf.core.errors import Conflict, NotFound


def test_negotiation_picks_the_lower_version() -> None:
    assert negotiate("1.50") == "1.47"
    assert negotiate("1.44") == "1.44"
    assert negotiate("") == "1.47"


def test_query_encoding() -> None:
    assert encode_query({"all": True, "limit": None, "x": "a b/c"}) == "?all=1&x=a%20b%2Fc"
    assert encode_query({}) == ""
    assert quote("busybox:latest", "/:") == "busybox:latest"


def test_version_from_ping_prefixes_paths(engine: Any) -> None:
    engine.api_version = "1.44"
    engine.route("GET", "/containers/json", [])
    client = Client.from_address(engine.address)
    assert client.containers.list(all_=True) == []
    listed = engine.find("GET", "/containers/json")[0]
    assert listed.version == "1.44"
    assert listed.param("all") == "1"
    assert engine.paths()[0] == "HEAD /_ping"


def test_explicit_api_version_skips_ping(engine: Any) -> None:
    engine.route("GET", "/version", {"Version": "x"})
    client = Client.from_address(engine.address, api_version="1.41")
    assert client.system.version() == {"Version": "x"}
    assert engine.paths() == ["GET /version"]
    assert engine.requests[0].version == "1.41"


def test_keep_alive_reuses_one_connection(engine: Any) -> None:
    engine.route("GET", "/info", {"ID": "1"})
    client = Client.from_address(engine.address)
    for _ in range(3):
        client.system.info()
    assert client.transport._idle is not None
    assert len(engine.find("GET", "/info")) == 3


def test_errors_become_typed(engine: Any, fake: Any) -> None:
    engine.route("POST", "/containers/.*/start",
                 fake.Reply(status=404, body={"message": "No such container: nope"}))
    engine.route("DELETE", "/containers/.*",
                 fake.Reply(status=409, body={"message": "container is running"}))
    client = Client.from_address(engine.address)
    with pytest.raises(NotFound, match="No such container: nope"):
        client.containers.start("nope")
    with pytest.raises(Conflict, match="container is running"):
        client.containers.remove("x")


def test_not_modified_is_not_an_error(engine: Any, fake: Any) -> None:
    engine.route("POST", "/containers/.*/stop", fake.Reply(status=304))
    Client.from_address(engine.address).containers.stop("x", timeout=3)
    assert engine.find("POST", "/containers/x/stop")[0].param("t") == "3"


def test_unreachable_daemon(tmp_path: Any) -> None:
    client = Client.from_address(f"unix://{tmp_path}/none.sock")
    with pytest.raises(ConnectionFailed, match="Cannot connect to the wharf daemon at unix://"):
        client.system.version()


def test_chunked_upload_and_progress_stream(engine: Any, fake: Any) -> None:
    engine.route("POST", "/images/create", fake.Reply(
        chunks=[b'{"status":"importing"}\n', b'{"status":"sha256:abc"}\n']))
    client = Client.from_address(engine.address)
    messages = list(client.images.import_tar(iter([b"tar", b"data"]), repo="x", tag="1",
                                             changes=['CMD ["sh"]', "ENV A=1"]))
    assert [m["status"] for m in messages] == ["importing", "sha256:abc"]
    recorded = engine.find("POST", "/images/create")[0]
    assert recorded.body == b"tardata"
    assert recorded.param("fromSrc") == "-"
    assert recorded.query["changes"] == ['CMD ["sh"]', "ENV A=1"]


def test_hijack_reads_frames_and_half_closes(engine: Any, fake: Any) -> None:
    received: list[bytes] = []

    def echo(reader: BinaryIO, writer: BinaryIO) -> None:
        data = reader.read()  # until the client half-closes
        received.append(data)
        writer.write(encode_frame(1, data.upper()) + encode_frame(2, b"done"))
        writer.flush()

    engine.route("POST", "/containers/.*/attach", fake.Reply(hijack=echo))
    client = Client.from_address(engine.address)
    stream = client.containers.attach("c", stdin=True)
    stream.send(b"hello")
    stream.close_write()
    pieces = []
    for _ in range(100):
        data = stream.read_some()
        if not data:
            break
        pieces.append(data)
    stream.close()
    assert received == [b"hello"]
    assert list(demux(pieces)) == [(1, b"HELLO"), (2, b"done")]
    request = engine.find("POST", "/containers/c/attach")[0]
    assert request.headers["upgrade"] == "tcp"
    assert request.headers["connection"] == "Upgrade"
    assert request.param("stdin") == "1"


def test_wait_registered_before_it_completes(engine: Any, fake: Any) -> None:
    started = threading.Event()

    def wait_body() -> Any:
        started.wait(5)
        yield b'{"StatusCode": 7, "Error": null}\n'

    engine.route("POST", "/containers/.*/wait", lambda request: fake.Reply(chunks=wait_body()))
    def start(request: Any) -> Any:
        started.set()
        return fake.Reply(status=204)

    engine.route("POST", "/containers/.*/start", start)
    client = Client.from_address(engine.address)
    pending = client.containers.wait_request("c", "next-exit")
    assert pending.response is not None  # headers arrived before start
    client.containers.start("c")
    assert client.containers.wait_result(pending)["StatusCode"] == 7
    assert engine.find("POST", "/containers/c/wait")[0].param("condition") == "next-exit"


def test_tcp_endpoint(fake: Any) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(4096)
            assert b"Host: 127.0.0.1:%d" % port in request
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        assert Client.from_address(f"tcp://127.0.0.1:{port}").system.ping() == "OK"
    finally:
        thread.join(5)
        listener.close()
