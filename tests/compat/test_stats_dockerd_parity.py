"""wharfd's stats and update answers beside a private dockerd's (Debian's docker.io) for the
same requests: the same JSON shape (keys, nesting, value types) for a running container, a
one-shot sample and a stopped one, the same statuses and messages for update's errors."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.daemons import Daemon, dockerd_with_busybox

pytestmark = [
    pytest.mark.skipif(shutil.which("dockerd") is None, reason="dockerd (docker.io) not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]
MB = 1024 * 1024
UPDATES = {  # request body → same status and message from both daemons
    "memory above the stored swap": {"Memory": 512 * MB},
    "memory below 6MB": {"Memory": 1024},
    "nano cpus with a quota": {"NanoCpus": 10**9, "CpuQuota": 50000},
    "memory": {"Memory": 48 * MB},
    "pids unlimited": {"PidsLimit": -1},
}


@pytest.fixture(scope="module")
def dockerd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    with dockerd_with_busybox(tmp_path_factory.mktemp("dockerd-stats")) as daemon:
        yield daemon


def shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def answers(daemon: Daemon) -> dict[str, Any]:
    daemon.docker("run", "-d", "--name", "parity", "-m", "32m", "busybox", "sleep", "300")
    daemon.docker("create", "--name", "parity-stopped", "busybox", "true")
    try:
        found: dict[str, Any] = {
            f"{ref} {query}": shape(daemon.json("GET", f"/containers/{ref}/stats?{query}"))
            for ref, query in (("parity", "stream=false"),
                               ("parity", "stream=false&one-shot=true"),
                               ("parity-stopped", "stream=false"))}
        container_id = daemon.json("GET", "/containers/parity/json")["Id"]  # type: ignore[index]
        for name, body in UPDATES.items():
            status, data = daemon.request("POST", "/containers/parity/update",
                                          json.dumps(body).encode(),
                                          {"Content-Type": "application/json"})
            found[name] = (status, json.loads(data), container_id)
        host = daemon.json("GET", "/containers/parity/json")["HostConfig"]  # type: ignore[index]
        found["stored"] = {key: host[key] for key in ("Memory", "MemorySwap", "PidsLimit")}
        return found
    finally:
        daemon.docker("rm", "-f", "parity", "parity-stopped", check=False)


def test_stats_and_update_answers_match_dockerd(wharfd: Daemon, dockerd: Daemon) -> None:
    ours, theirs = answers(wharfd), answers(dockerd)
    for key in ("parity stream=false", "parity stream=false&one-shot=true"):
        for found in (ours, theirs):  # entries come and go with the page cache's writeback
            found[key]["blkio_stats"] = {k: [] if isinstance(v, list) else v
                                         for k, v in found[key]["blkio_stats"].items()}
    assert ours.keys() == theirs.keys()
    for key in ours.keys() - UPDATES.keys():
        assert ours[key] == theirs[key], key
    for name in UPDATES:
        (status, body, our_id), (their_status, their_body, their_id) = ours[name], theirs[name]
        assert status == their_status, name
        assert json.dumps(body).replace(our_id, "ID") == \
            json.dumps(their_body).replace(their_id, "ID"), name
