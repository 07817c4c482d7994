"""docker-py 7's events stream against wharfd: ``client.events(decode=True)`` follows what
happens, with filters, and an API 1.47 reader gets the legacy ``status``/``id``/``from``."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import docker

from tests.support.daemons import Daemon


def collect(client: docker.DockerClient, name: str, until_action: str,
            found: list[dict[str, Any]]) -> threading.Thread:
    """Read the events of container ``name`` in a thread until ``until_action`` (bounded by
    the stream's ``until``)."""
    # since: what happens between the request and the daemon's subscription is replayed
    stream = client.events(decode=True, filters={"container": name, "type": "container"},
                           since=time.time(), until=time.time() + 30)

    def read() -> None:
        for event in stream:
            found.append(event)
            if event.get("Action") == until_action:
                stream.close()
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


def test_a_followed_stream_with_filters(wharfd: Daemon) -> None:
    client = docker.DockerClient(base_url=wharfd.host, version="1.47")
    try:
        name = f"py-ev-{uuid.uuid4().hex[:8]}"
        found: list[dict[str, Any]] = []
        reader = collect(client, name, "destroy", found)
        client.containers.run("busybox", ["true"], name=name, remove=True)
        reader.join(timeout=35)
        assert not reader.is_alive()
        actions = [e["Action"] for e in found]
        assert actions[0] == "create" and actions[-1] == "destroy"
        assert {"start", "die"} <= set(actions)
        die = next(e for e in found if e["Action"] == "die")
        assert die["Actor"]["Attributes"]["exitCode"] == "0"
        for event in found:
            assert event["Actor"]["Attributes"]["name"] == name
            # what readers of API < 1.52 parse
            assert event["status"] == event["Action"] and event["id"] == event["Actor"]["ID"]
            assert event["from"] == "busybox"
            assert event["time"] == event["timeNano"] // 10**9
    finally:
        client.close()

