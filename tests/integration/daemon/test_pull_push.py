"""Pull and push through a live wharfd against the CNCF registry (loopback, random ports)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from typing import Any

import pytest
from tests.support.daemons import Daemon, shut_down_wharfd, start_wharfd
from tests.support.fault_proxy import BLOB_PATH, Fault, FaultProxy
from tests.support.net import free_port
from tests.support.oci_layout import assert_container_files, oci_layout, random_files, skopeo_push
from tests.support.registries import skopeo_inspect
from tests.support.scratch import scratch_dir


@pytest.fixture(scope="module")
def multi(registry: str) -> dict[str, Any]:
    """A 4-layer image pushed with skopeo; returns its name, layers' files and digest."""
    with scratch_dir("wharf-oci-") as tmp:
        layers = [random_files(2, 1 << 20, f"l{i}-{os.urandom(4).hex()}") for i in range(4)]
        layout = oci_layout(tmp / "layout", layers, "1")
        name = f"{registry}/team/multi"
        skopeo_push(layout, f"{name}:1", "1")
        raw = skopeo_inspect(tmp, f"docker://{name}:1", raw=True)
        digest = "sha256:" + hashlib.sha256(raw).hexdigest()
        return {"name": name, "layers": layers, "digest": digest, "manifest": raw}


def stream(daemon: Daemon, method: str, path: str, headers: dict[str, str] | None = None
           ) -> tuple[int, list[dict[str, Any]]]:
    status, body = daemon.request(method, path, headers=headers)
    if status != 200:
        return status, [json.loads(body)]
    return status, [json.loads(line) for line in body.splitlines() if line.strip()]


def pull(daemon: Daemon, ref: str, tag: str = "") -> list[dict[str, Any]]:
    query = f"fromImage={ref}" + (f"&tag={tag}" if tag else "")
    status, messages = stream(daemon, "POST", f"/images/create?{query}")
    assert status == 200, messages
    assert not any("error" in m for m in messages), messages
    return messages


def push(daemon: Daemon, name: str, tag: str) -> list[dict[str, Any]]:
    status, messages = stream(daemon, "POST", f"/images/{name}/push?tag={tag}",
                              {"X-Registry-Auth": "e30"})
    assert status == 200, messages
    assert not any("error" in m for m in messages), messages
    return messages


def statuses(messages: list[dict[str, Any]]) -> list[str]:
    return [str(m.get("status")) for m in messages]


def test_push_pull_push_keeps_the_digest(wharfd: Daemon, registry: str) -> None:
    name = f"{registry}/bb"
    wharfd.json("POST", f"/images/busybox:latest/tag?repo={name}&tag=1")
    first = push(wharfd, name, "1")
    assert first[0] == {"status": f"The push refers to repository [{name}]"}
    assert "Pushed" in statuses(first)
    aux = next(m["aux"] for m in first if "aux" in m)
    assert aux["Tag"] == "1" and aux["Digest"].startswith("sha256:")
    assert f"1: digest: {aux['Digest']} size: {aux['Size']}" in statuses(first)
    wharfd.json("DELETE", f"/images/{name}:1")
    messages = pull(wharfd, name, "1")
    assert messages[0] == {"status": "Pulling from bb", "id": "1"}
    assert {"status": f"Digest: {aux['Digest']}"} in messages
    inspect = wharfd.json("GET", f"/images/{name}:1/json")
    assert f"{name}@{aux['Digest']}" in inspect["RepoDigests"]  # type: ignore[index]
    again = push(wharfd, name, "1")
    assert "Layer already exists" in statuses(again)
    assert next(m["aux"] for m in again if "aux" in m)["Digest"] == aux["Digest"]
    wharfd.json("DELETE", f"/images/{name}:1")
    run = wharfd.docker("run", "--rm", f"{name}:1", "echo", "pulled-and-ran", timeout=120)
    assert run.stdout == b"pulled-and-ran\n"
    assert b"Unable to find image" in run.stderr and b"Downloaded newer image" in run.stderr


def test_multilayer_pull_unpacks_every_layer_and_mounts_on_push(
        wharfd: Daemon, multi: dict[str, Any], registry: str) -> None:
    name = multi["name"]
    messages = pull(wharfd, name, "1")
    assert statuses(messages).count("Pull complete") == 4
    assert messages[-1] == {"status": f"Status: Downloaded newer image for {name}:1"}
    assert {"status": f"Digest: {multi['digest']}"} in messages
    assert_container_files(wharfd, f"{name}:1", multi["layers"])
    assert statuses(pull(wharfd, name, "1"))[-1] == f"Status: Image is up to date for {name}:1"
    copy = f"{registry}/other/copy"
    wharfd.json("POST", f"/images/{name}:1/tag?repo={copy}&tag=1")
    pushed = push(wharfd, copy, "1")
    assert statuses(pushed).count("Mounted from team/multi") == 4
    assert next(m["aux"] for m in pushed if "aux" in m)["Digest"] == multi["digest"]
    _status, body = wharfd.request("GET", f"/events?since=0&until={int(time.time()) + 1}"
                                          '&filters={"type":["image"]}')
    events = [json.loads(line) for line in body.splitlines() if line.strip()]
    actions = {(e["Action"], e["Actor"]["ID"], e["Actor"]["Attributes"]["name"])
               for e in events}
    assert ("pull", f"{name}:1", name) in actions and ("push", f"{copy}:1", copy) in actions


def test_stock_docker_cli_pulls_and_shows_the_image(wharfd: Daemon, multi: dict[str, Any]
                                                    ) -> None:
    name = multi["name"]
    wharfd.request("DELETE", f"/images/{name}:1?force=1")
    out = wharfd.docker("pull", f"{name}:1", timeout=120).stdout.decode()
    assert f"Digest: {multi['digest']}" in out and "Downloaded newer image" in out
    digests = wharfd.docker("images", "--digests", "--format", "{{.Digest}}", name).stdout
    assert multi["digest"] in digests.decode()
    target = f"{name.rsplit('/', 2)[0]}/cli/pushed:1"
    wharfd.docker("tag", f"{name}:1", target)
    out = wharfd.docker("push", target, timeout=120).stdout.decode()
    assert f"1: digest: {multi['digest']}" in out and "Mounted from team/multi" in out


def test_distribution_inspect_and_login(wharfd: Daemon, multi: dict[str, Any],
                                        registry: str) -> None:
    info = wharfd.json("GET", f"/distribution/{multi['name']}:1/json")
    assert info == {"Descriptor": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                   "digest": multi["digest"], "size": len(multi["manifest"])},
                    "Platforms": [{"architecture": "amd64", "os": "linux"}]}
    login = wharfd.json("POST", "/auth", {"serveraddress": f"http://{registry}",
                                          "username": "u", "password": "p"})
    assert login == {"Status": "Login Succeeded", "IdentityToken": ""}


def test_bad_requests_are_clear_errors(wharfd: Daemon, registry: str) -> None:
    status, body = wharfd.request("POST", f"/images/create?fromImage={registry}/nope&tag=x")
    assert status == 404 and b"not found" in body
    port = free_port()
    status, body = wharfd.request("POST", f"/images/create?fromImage=127.0.0.1:{port}/x&tag=1")
    assert status >= 500 and f"127.0.0.1:{port}".encode() in body
    status, body = wharfd.request("POST", f"/images/create?fromImage={registry}/bb&tag=1",
                                  headers={"X-Registry-Auth": "%%%not-base64"})
    assert status == 400 and b"X-Registry-Auth" in body
    status, body = wharfd.request("POST", f"/images/{registry}/never-tagged/push?tag=1")
    assert status == 404 and b"An image does not exist locally" in body
    assert wharfd.request("GET", "/_ping")[0] == 200


def test_kill_9_mid_pull_then_the_next_pull_resumes(registry: str) -> None:
    with scratch_dir("wharf-resume-") as tmp:
        layout = oci_layout(tmp / "layout", [random_files(1, 48 << 20, os.urandom(4).hex())])
        skopeo_push(layout, f"{registry}/big:1")
        blob_size = sum(p.stat().st_size for p in (layout / "blobs" / "sha256").iterdir()
                        if p.stat().st_size > 1 << 20)
        slow = Fault(BLOB_PATH, "GET", throttle=0.01)  # ~6 MB/s: the kill lands mid-blob
        with FaultProxy(registry, [slow]) as proxy:
            name = f"{proxy.host}/big"
            daemon = start_wharfd(tmp / "d")
            try:
                with subprocess.Popen(
                        ["curl", "-s", "-m", "120", "--unix-socket", str(daemon.socket_path),
                         "-X", "POST", f"http://d/images/create?fromImage={name}&tag=1"],
                        stdout=subprocess.DEVNULL) as puller:
                    deadline = time.monotonic() + 60
                    while proxy.bytes_served() < blob_size // 3 \
                            and time.monotonic() < deadline:
                        time.sleep(0.05)
                    daemon.proc.send_signal(signal.SIGKILL)
                    daemon.proc.wait(10)
                    puller.wait(10)
            finally:
                shut_down_wharfd(daemon, tmp / "d")
            assert blob_size // 3 <= proxy.bytes_served() < blob_size
            slow.throttle, before = 0.0, proxy.bytes_served()
            daemon = start_wharfd(tmp / "d")
            try:
                assert daemon.json("GET", "/images/json") == []  # nothing half-recorded
                pull(daemon, name, "1")
                again = proxy.bytes_served() - before
                assert again < blob_size, (again, blob_size)
                assert len(daemon.json("GET", "/images/json")) == 1  # type: ignore[arg-type]
            finally:
                shut_down_wharfd(daemon, tmp / "d")


def test_docker_py_pulls_streams_and_pushes(wharfd: Daemon, multi: dict[str, Any],
                                           registry: str) -> None:
    import docker  # docker-py, a dev dependency

    client = docker.DockerClient(base_url=wharfd.host, version="1.47", timeout=120)
    try:
        name = multi["name"]
        wharfd.request("DELETE", f"/images/{name}:1?force=1")
        events = list(client.api.pull(name, tag="1", stream=True, decode=True))
        assert all(isinstance(e, dict) for e in events)
        assert {"status": f"Digest: {multi['digest']}"} in events
        image = client.images.pull(name, tag="1")
        assert f"{name}@{multi['digest']}" in image.attrs["RepoDigests"]
        image.tag(f"{registry}/py/pushed", "2")
        pushed = list(client.images.push(f"{registry}/py/pushed", tag="2", stream=True,
                                         decode=True))
        aux = next(e["aux"] for e in pushed if "aux" in e)
        assert aux == {"Tag": "2", "Digest": multi["digest"], "Size": len(multi["manifest"])}
    finally:
        client.close()
