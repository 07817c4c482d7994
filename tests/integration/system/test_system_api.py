"""``/system/df``, image last-used and ``unused-for``, ``/events`` filters and streaming
headers, and the default log rotation, against a real wharfd."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

from tests.support.daemons import Daemon

WHARF = str(Path(sys.executable).parent / "wharf")
ZERO_TIME = "0001-01-01T00:00:00Z"


def api(wharfd: Daemon, method: str, path: str, payload: object | None = None) -> Any:
    return wharfd.json(method, path, payload)


def query(filters: dict[str, list[str]]) -> str:
    return urllib.parse.quote(json.dumps(filters))


def run_to_exit(wharfd: Daemon, name: str, *cmd: str, image: str = "busybox") -> str:
    created = api(wharfd, "POST", f"/containers/create?name={name}", {"Image": image,
                                                                     "Cmd": list(cmd)})
    api(wharfd, "POST", f"/containers/{name}/start")
    api(wharfd, "POST", f"/containers/{name}/wait")
    return str(created["Id"])


def commit(wharfd: Daemon, container: str, repo: str, label: str) -> str:
    changes = urllib.parse.quote(f"LABEL {label}")
    done = api(wharfd, "POST", f"/commit?container={container}&repo={repo}&tag=1"
                               f"&changes={changes}")
    return str(done["Id"])


def test_df_counts_layers_once_and_sizes_every_part(wharfd: Daemon) -> None:
    written = run_to_exit(wharfd, "df-writer", "sh", "-c", "head -c 1000 /dev/zero > /f")
    app = commit(wharfd, "df-writer", "wp9/dfapp", "wp9=df")
    try:
        usage = api(wharfd, "GET", "/system/df")
        images = {i["Id"]: i for i in usage["Images"]}
        busybox = next(i for i in usage["Images"] if "busybox:latest" in i["RepoTags"])
        assert busybox["SharedSize"] == busybox["Size"] > 0
        assert images[app]["SharedSize"] == busybox["Size"] < images[app]["Size"]
        assert busybox["Containers"] == 1 and images[app]["Containers"] == 0
        assert usage["LayersSize"] == images[app]["Size"]  # busybox's layers counted once
        [container] = [c for c in usage["Containers"] if c["Id"] == written]
        assert container["SizeRw"] >= 1000
        assert container["SizeRootFs"] == busybox["Size"] + container["SizeRw"]
        assert container["Names"] == ["/df-writer"] and container["State"] == "exited"
        assert usage["Volumes"] == [] and isinstance(usage["BuildCache"], list)
        df = subprocess.run([WHARF, "system", "df", "-v"], env=wharfd.docker_env(),
                            capture_output=True, timeout=60, check=True).stdout.decode()
        once = df.split("Space used, each byte counted once:\n\n", 1)[1].splitlines()[1:]
        parts = {line[:30].strip(): int(line.split()[-1]) for line in once}
        assert parts.pop("Total") == sum(parts.values())
        assert (parts["Images: unique layers"] + parts["Images: shared layers (once)"]
                == usage["LayersSize"])
        assert parts["Containers: written"] == sum(c["SizeRw"] for c in usage["Containers"])
    finally:
        api(wharfd, "DELETE", "/containers/df-writer")
        api(wharfd, "DELETE", f"/images/{app}")


def test_df_type_parameter(wharfd: Daemon) -> None:
    only = api(wharfd, "GET", "/v1.47/system/df?type=volume&type=container")
    assert only["Images"] is None and only["BuildCache"] is None and "LayersSize" not in only
    assert only["Volumes"] == [] and isinstance(only["Containers"], list)
    old = api(wharfd, "GET", "/v1.41/system/df?type=volume")  # before 1.42: every type
    assert isinstance(old["Images"], list) and "LayersSize" in old
    status, body = wharfd.request("GET", "/system/df?type=bogus")
    assert status == 400 and json.loads(body)["message"] == "unknown object type: bogus"


def test_last_tag_time_last_used_and_unused_for(wharfd: Daemon) -> None:
    run_to_exit(wharfd, "lu-src", "true")
    app = commit(wharfd, "lu-src", "wp9/luapp", "wp9=lu")
    api(wharfd, "DELETE", "/containers/lu-src")
    metadata = api(wharfd, "GET", f"/images/{app}/json")["Metadata"]
    assert metadata["LastTagTime"] != ZERO_TIME and metadata["LastUsed"] == ZERO_TIME
    before = time.time()
    api(wharfd, "POST", "/containers/create?name=lu-user", {"Image": "wp9/luapp:1"})
    used = api(wharfd, "GET", f"/images/{app}/json")["Metadata"]["LastUsed"]
    assert used != ZERO_TIME and used[:4] == time.strftime("%Y", time.gmtime(before))
    api(wharfd, "DELETE", "/containers/lu-user")
    scoped = {"dangling": ["false"], "label": ["wp9=lu"]}
    kept = api(wharfd, "POST", f"/images/prune?filters={query({**scoped, 'unused-for': ['1h']})}")
    assert kept["ImagesDeleted"] is None
    status, body = wharfd.request(
        "POST", f"/images/prune?filters={query({**scoped, 'unused-for': ['soon']})}")
    assert status == 400 and json.loads(body)["message"] == "invalid filter 'unused-for=soon'"
    gone = api(wharfd, "POST", f"/images/prune?filters={query({**scoped, 'unused-for': ['1ns']})}")
    assert {"Deleted": app} in gone["ImagesDeleted"]
    assert wharfd.request("GET", "/images/busybox/json")[0] == 200


def test_events_filters_since_until(wharfd: Daemon) -> None:
    since = time.time()
    cid = run_to_exit(wharfd, "ev-die", "sh", "-c", "exit 3")
    api(wharfd, "DELETE", "/containers/ev-die")
    until = time.time()
    wanted = query({"type": ["container"], "event": ["die"], "container": ["ev-d"]})
    status, body = wharfd.request("GET", f"/events?since={since}&until={until}&filters={wanted}")
    assert status == 200
    events = [json.loads(line) for line in body.splitlines()]
    assert [(e["Action"], e["Actor"]["ID"]) for e in events] == [("die", cid)]
    assert events[0]["Actor"]["Attributes"]["exitCode"] == "3"
    by_image = query({"image": ["busybox"], "event": ["create"]})
    body = wharfd.request("GET", f"/events?since={since}&until={until}&filters={by_image}")[1]
    assert [json.loads(line)["Actor"]["ID"] for line in body.splitlines()] == [cid]
    status, body = wharfd.request("GET", f"/events?until={until}&filters={query({'x': ['1']})}")
    assert status == 400 and json.loads(body)["message"] == "invalid filter 'x'"
    status, body = wharfd.request("GET", "/events?since=20&until=10")
    assert status == 400
    assert json.loads(body)["message"] == "`since` time (20) cannot be after `until` time (10)"


def _headers_before_any_body(wharfd: Daemon, path: str) -> bytes:
    """The status line and headers of a GET that streams nothing yet (read with a bound)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(wharfd.socket_path))
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: wharf\r\n\r\n".encode())
        received = b""
        deadline = time.monotonic() + 5
        while b"\r\n\r\n" not in received and time.monotonic() < deadline:
            chunk = sock.recv(4096)
            if not chunk:
                break
            received += chunk
        return received


def test_streams_send_their_headers_at_once(wharfd: Daemon) -> None:
    head = _headers_before_any_body(wharfd, "/v1.47/events")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"\r\n\r\n" in head
    api(wharfd, "POST", "/containers/create?name=quiet", {"Image": "busybox",
                                                          "Cmd": ["sleep", "30"]})
    try:
        api(wharfd, "POST", "/containers/quiet/start")
        head = _headers_before_any_body(wharfd, "/containers/quiet/logs?follow=1&stdout=1")
        assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"\r\n\r\n" in head
        assert b"multiplexed-stream" in head
    finally:
        api(wharfd, "DELETE", "/containers/quiet?force=1")


def test_log_rotation_is_on_by_default(wharfd: Daemon) -> None:
    api(wharfd, "POST", "/containers/create?name=logcfg", {"Image": "busybox"})
    try:
        log_config = api(wharfd, "GET", "/containers/logcfg/json")["HostConfig"]["LogConfig"]
        assert log_config == {"Type": "json-file",
                              "Config": {"max-size": "20m", "max-file": "5"}}
    finally:
        api(wharfd, "DELETE", "/containers/logcfg")
