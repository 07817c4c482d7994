"""Attach as docker-py and the docker CLI use it: the log without a stream
(``attach(stream=False, logs=True)``), detach keys, and the websocket attach."""

from __future__ import annotations

import time
from collections.abc import Iterator

import docker
import pytest

from tests.support.daemons import Daemon

ROUNDS = 10


@pytest.fixture
def api(wharfd: Daemon) -> Iterator[docker.APIClient]:
    client = docker.APIClient(base_url=wharfd.host)
    try:
        yield client
    finally:
        client.close()


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
