"""Attach as docker-py and other clients use it: the log without a stream
(``attach(stream=False, logs=True)``) and the websocket attach (``/attach/ws``, driven with
aiohttp's websocket client)."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import docker

from tests.support.daemons import Daemon

ROUNDS = 10


def test_attach_without_stream_returns_the_log_and_ends(api: docker.APIClient) -> None:
    container_id = api.create_container("busybox", ["sh", "-c", "echo hello; echo err >&2"])["Id"]
    try:
        api.start(container_id)
        assert api.wait(container_id)["StatusCode"] == 0
        for _ in range(ROUNDS):  # the log is sent right after the 101: every round must see it
            assert api.attach(container_id, stream=False, logs=True) == b"hello\nerr\n"
        assert api.attach(container_id, stream=False, logs=True, stderr=False) == b"hello\n"
        assert api.attach(container_id, stream=False, logs=True, stdout=False) == b"err\n"
    finally:
        api.remove_container(container_id, force=True)


def test_attach_without_stream_to_a_running_container(api: docker.APIClient) -> None:
    container_id = api.create_container("busybox", ["sh", "-c", "echo up; sleep 60"])["Id"]
    try:
        api.start(container_id)
        deadline = time.monotonic() + 10
        while b"up" not in api.logs(container_id):
            assert time.monotonic() < deadline, "no log output"
            time.sleep(0.05)
        started = time.monotonic()
        assert api.attach(container_id, stream=False, logs=True) == b"up\n"
        assert time.monotonic() - started < 5  # it ended without waiting for the container
        assert api.inspect_container(container_id)["State"]["Running"] is True
    finally:
        api.remove_container(container_id, force=True)


# ---- the websocket attach -----------------------------------------------------------------

async def ws_session(daemon: Daemon, container_id: str, query: str,
                     send: list[bytes]) -> tuple[list[aiohttp.WSMessage], int | None]:
    """The messages the daemon sends on ``/attach/ws?query`` after ``send`` was sent, until
    it closes the socket (bounded), and its close code."""
    connector = aiohttp.UnixConnector(path=str(daemon.socket_path))
    async with aiohttp.ClientSession(connector=connector) as session, session.ws_connect(
            f"http://wharf/v1.47/containers/{container_id}/attach/ws?{query}") as ws:
        for data in send:
            await ws.send_bytes(data)
            await asyncio.sleep(0.2)
        received = []
        while True:
            message = await asyncio.wait_for(ws.receive(), 20)
            if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                return received, ws.close_code
            received.append(message)


def payload(messages: list[aiohttp.WSMessage]) -> bytes:
    assert all(m.type == aiohttp.WSMsgType.BINARY for m in messages), messages
    return b"".join(m.data for m in messages)


def test_websocket_attach_streams_raw_bytes_both_ways(wharfd: Daemon,
                                                      api: docker.APIClient) -> None:
    container_id = api.create_container("busybox", [
        "sh", "-c", "echo before; read x; echo got:$x; echo err >&2"], stdin_open=True)["Id"]
    try:
        api.start(container_id)
        messages, code = asyncio.run(ws_session(
            wharfd, container_id, "logs=1&stream=1&stdin=1&stdout=1&stderr=1", [b"hi\n"]))
        data = payload(messages)  # raw: no 8-byte stream headers, stderr mixed in
        assert data.startswith(b"before\n") and sorted(data.splitlines()) == [
            b"before", b"err", b"got:hi"]
        assert code == 1000
    finally:
        api.remove_container(container_id, force=True)


def test_websocket_attach_logs_without_stream(wharfd: Daemon, api: docker.APIClient) -> None:
    container_id = api.create_container("busybox", ["sh", "-c", "echo out; echo err >&2"])["Id"]
    try:
        api.start(container_id)
        api.wait(container_id)
        messages, code = asyncio.run(ws_session(
            wharfd, container_id, "logs=1&stream=0&stdout=1&stderr=0", []))
        assert (payload(messages), code) == (b"out\n", 1000)
    finally:
        api.remove_container(container_id, force=True)


def test_websocket_attach_detach_keys(wharfd: Daemon, api: docker.APIClient) -> None:
    container_id = api.create_container("busybox", ["cat", "-v"], tty=True,
                                        stdin_open=True)["Id"]
    try:
        api.start(container_id)
        messages, code = asyncio.run(ws_session(
            wharfd, container_id, "stream=1&stdin=1&stdout=1", [b"typed\n", b"\x10", b"\x11"]))
        assert b"typed" in payload(messages) and code == 1000
        assert api.inspect_container(container_id)["State"]["Running"] is True
    finally:
        api.remove_container(container_id, force=True)
