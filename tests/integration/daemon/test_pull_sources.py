"""Pulls of indexes, corrupt blobs and mirrors through a live wharfd and the CNCF registry."""

from __future__ import annotations

import base64
import http.server
import json
import os
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.daemons import Daemon, UnixHTTPConnection, wharfd_running
from tests.support.fault_proxy import BLOB_PATH, Fault, FaultProxy
from tests.support.oci_layout import (
    assert_container_files,
    oci_index_layout,
    oci_layout,
    random_files,
    skopeo_push,
    top_manifest,
)
from tests.support.registries import cncf_registry, skopeo_inspect
from tests.support.scratch import scratch_dir


@pytest.fixture
def scratch() -> Iterator[Path]:
    with scratch_dir("wharf-pulls-") as tmp:
        yield tmp


def messages_of(daemon: Daemon, path: str) -> tuple[int, list[dict[str, Any]]]:
    status, body = daemon.request("POST", path)
    if status != 200:
        return status, [json.loads(body)]
    return status, [json.loads(line) for line in body.splitlines() if line.strip()]


def test_an_index_pull_takes_the_platform_asked(wharfd: Daemon, registry: str,
                                                scratch: Path) -> None:
    seed = os.urandom(4).hex()
    layout = oci_index_layout(scratch / "idx", {
        "amd64": [{f"{seed}/amd": b"amd"}], "arm64": [{f"{seed}/arm": b"arm"}]}, "m")
    name = f"{registry}/multiarch"
    skopeo_push(layout, f"{name}:m", "m")
    index_digest = json.loads((layout / "index.json").read_text())["manifests"][0]["digest"]
    status, messages = messages_of(wharfd, f"/images/create?fromImage={name}&tag=m"
                                           "&platform=linux/arm64")
    assert status == 200 and not any("error" in m for m in messages), messages
    assert {"status": f"Digest: {index_digest}"} in messages
    inspect = wharfd.json("GET", f"/images/{name}:m/json")
    assert inspect["Architecture"] == "arm64"  # type: ignore[index]
    assert inspect["RepoDigests"] == [f"{name}@{index_digest}"]  # type: ignore[index]
    status, messages = messages_of(wharfd, f"/images/create?fromImage={name}&tag=m"
                                           "&platform=linux/s390x")
    assert status == 404 and "no matching manifest" in messages[0]["message"]


def test_a_corrupt_blob_is_an_error_and_commits_nothing(scratch: Path) -> None:
    with cncf_registry(scratch / "r") as reg, wharfd_running(scratch / "d") as daemon:
        address = reg.host
        layout = oci_layout(scratch / "img", [random_files(1, 3 << 20, os.urandom(4).hex())])
        skopeo_push(layout, f"{address}/bad:1")
        manifest: Any = top_manifest(layout)
        blob = reg.blob_data_path(manifest["layers"][0]["digest"])
        data = bytearray(blob.read_bytes())
        data[len(data) // 2] ^= 0x55
        blob.write_bytes(bytes(data))
        status, messages = messages_of(daemon, f"/images/create?fromImage={address}/bad&tag=1")
        assert status == 200 and "errorDetail" in messages[-1], messages[-3:]
        assert "verification failed" in messages[-1]["error"]
        assert "Pull complete" not in [m.get("status") for m in messages]
        assert daemon.json("GET", "/images/json") == []
        assert not any((daemon.data_root / "overlay" / "layers").glob("[0-9a-f]*"))
        assert daemon.request("GET", "/_ping")[0] == 200


def test_a_mirror_serves_the_pull_and_a_dead_one_falls_back(scratch: Path) -> None:
    with cncf_registry(scratch / "up") as up, cncf_registry(scratch / "m") as mirrored:
        upstream, mirror = up.host, mirrored.host
        layout = oci_layout(scratch / "img", [random_files(1, 1 << 20, os.urandom(4).hex())])
        skopeo_push(layout, f"{mirror}/team/app:1")  # only the mirror has it
        config = scratch / "daemon.json"
        config.write_text(json.dumps({"registry-mirrors": {upstream: [f"http://{mirror}"]}}))
        with wharfd_running(scratch / "d", "--config-file", str(config)) as daemon:
            status, messages = messages_of(
                daemon, f"/images/create?fromImage={upstream}/team/app&tag=1")
            assert status == 200 and "Pull complete" in [m.get("status") for m in messages]
        skopeo_push(layout, f"{upstream}/team/other:1")  # only upstream has this one
        config.write_text(json.dumps({"registry-mirrors": {
            upstream: ["http://127.0.0.1:9"]}}))  # nothing listens on port 9
        with wharfd_running(scratch / "d2", "--config-file", str(config)) as daemon:
            status, messages = messages_of(
                daemon, f"/images/create?fromImage={upstream}/team/other&tag=1")
            assert status == 200 and "Pull complete" in [m.get("status") for m in messages]


def auth_header(**fields: str) -> dict[str, str]:
    return {"X-Registry-Auth": base64.urlsafe_b64encode(json.dumps(fields).encode()).decode()}


def test_htpasswd_registry_login_pull_and_push_with_x_registry_auth(scratch: Path) -> None:
    with cncf_registry(scratch / "r", "htpasswd") as reg, \
            wharfd_running(scratch / "d") as daemon:
        address, user, password = reg.host, str(reg.username), str(reg.password)
        status, body = daemon.request("POST", "/auth", json.dumps(
            {"username": user, "password": "wrong", "serveraddress": address}).encode())
        assert status == 401, body
        assert daemon.json("POST", "/auth", {"username": user, "password": password,
                                             "serveraddress": address}) == {
            "Status": "Login Succeeded", "IdentityToken": ""}
        good = auth_header(username=user, password=password, serveraddress=address)
        name = f"{address}/private/app"
        status, body = daemon.request("POST", f"/images/create?fromImage={name}&tag=1")
        assert status == 404 and b"pull access denied for" in body  # anonymous
        assert b"may require 'docker login'" in body
        layout = oci_layout(scratch / "img", [random_files(1, 1 << 20, os.urandom(4).hex())])
        skopeo_push(layout, f"{name}:1", creds=reg.creds)
        status, body = daemon.request("POST", f"/images/create?fromImage={name}&tag=1",
                                      headers=good)
        assert status == 200 and b"Pull complete" in body and b"errorDetail" not in body, body
        daemon.json("POST", f"/images/{name}:1/tag?repo={name}&tag=2")
        status, body = daemon.request("POST", f"/images/{name}/push?tag=2", headers=good)
        assert status == 200 and b"Layer already exists" in body and b"error" not in body
        status, body = daemon.request("POST", f"/images/{name}/push?tag=2")
        assert status == 200 and body.splitlines()[-1].startswith(b'{"errorDetail"')
        assert b"unauthorized: authentication required" in body


def test_a_client_that_leaves_stops_the_pull_and_the_next_one_resumes(scratch: Path) -> None:
    with cncf_registry(scratch / "r") as reg, wharfd_running(scratch / "d") as daemon:
        layout = oci_layout(scratch / "img", [random_files(1, 24 << 20, os.urandom(4).hex())])
        skopeo_push(layout, f"{reg.host}/slow:1")
        slow = Fault(BLOB_PATH, "GET", throttle=0.01)  # a sleep per 64 KiB of blob
        with FaultProxy(reg.host, [slow]) as proxy:
            name = f"{proxy.host}/slow"
            conn = UnixHTTPConnection(str(daemon.socket_path), timeout=30)
            conn.request("POST", f"/images/create?fromImage={name}&tag=1")
            response = conn.getresponse()
            assert response.status == 200
            deadline = time.monotonic() + 30
            while proxy.bytes_served() < 4 << 20 and time.monotonic() < deadline:
                response.read1(65536)
            conn.close()  # the client goes away mid-layer
            time.sleep(1.0)
            stalled = proxy.bytes_served()
            time.sleep(1.0)
            assert proxy.bytes_served() - stalled < 1 << 20  # the transfer stopped
            partial = list((daemon.data_root / "content" / "ingest").glob("sha256-*"))
            assert partial and partial[0].stat().st_size > 0
            slow.throttle, before = 0.0, proxy.bytes_served()
            status, body = daemon.request("POST", f"/images/create?fromImage={name}&tag=1")
            assert status == 200 and b"Pull complete" in body and b"errorDetail" not in body
            assert proxy.bytes_served() - before < 24 << 20


class _SearchHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        if not self.path.startswith("/v1/search"):
            self.send_response(200 if self.path == "/v2/" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        term = query.get("q", [""])[0]
        results = [{"name": f"{term}{i}", "description": f"d{i}", "star_count": i * 10,
                    "is_official": i == 3, "is_automated": False} for i in range(4)]
        body = json.dumps({"num_results": 4, "query": term, "results": results}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_search_asks_the_registry_and_applies_docker_filters(wharfd: Daemon) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SearchHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host = f"127.0.0.1:{server.server_address[1]}"
        found = wharfd.json("GET", f"/images/search?term={host}/app&limit=10"
                                   '&filters={"stars":["15"]}')
        assert found == [
            {"star_count": 20, "is_official": False, "name": "app2", "is_automated": False,
             "description": "d2"},
            {"star_count": 30, "is_official": True, "name": "app3", "is_automated": False,
             "description": "d3"}]
        official = wharfd.json("GET", f"/images/search?term={host}/app"
                                      '&filters={"is-official":["true"]}')
        assert isinstance(official, list) and [f["name"] for f in official] == ["app3"]
        status, body = wharfd.request("GET", f"/images/search?term={host}/app&limit=500")
        assert status == 400 and b"limit 500 is outside the range of [1, 100]" in body
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_gzip_zstd_and_plain_layers_pull_and_unpack(wharfd: Daemon, registry: str,
                                                     scratch: Path) -> None:
    seed = os.urandom(4).hex()
    layers = [{f"{seed}/{kind}": kind.encode() * 5000} for kind in ("gzip", "zstd", "none")]
    layout = oci_layout(scratch / "mixed", layers, "1", ["gzip", "zstd", "none"])
    name = f"{registry}/mixed"
    skopeo_push(layout, f"{name}:1", "1")
    status, messages = messages_of(wharfd, f"/images/create?fromImage={name}&tag=1")
    assert status == 200 and [m.get("status") for m in messages].count("Pull complete") == 3
    assert_container_files(wharfd, f"{name}:1", layers)
    raw = skopeo_inspect(scratch, f"docker://{name}:1", raw=True)
    manifest = json.loads(raw)
    media_types = [d["mediaType"] for d in manifest["layers"]]
    assert media_types[:2] == ["application/vnd.oci.image.layer.v1.tar+gzip",
                               "application/vnd.oci.image.layer.v1.tar+zstd"], media_types
    for descriptor in manifest["layers"]:  # kept byte-exact under their registry digests
        blob = wharfd.data_root / "content/blobs/sha256" / descriptor["digest"][7:]
        assert blob.stat().st_size == descriptor["size"]
