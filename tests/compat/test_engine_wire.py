"""Details of the Engine API's wire that stock clients rely on: an exec's ExitCode as soon as
its stream ends, unversioned paths, both forms of ``filters``, an image's ``Config`` never
null, the legacy ``status``/``id``/``from`` of events for API < 1.52."""

from __future__ import annotations

import io
import json
import socket
import tarfile
import time
import urllib.parse
import uuid
from collections.abc import Iterator

import docker
import pytest

from tests.support.daemons import Daemon

ROUNDS = 25


@pytest.fixture(scope="module")
def sleeper(wharfd: Daemon) -> Iterator[str]:
    name = f"wire-{uuid.uuid4().hex[:8]}"
    wharfd.docker("run", "-d", "--name", name, "--label", "wire=yes", "busybox",
                  "sleep", "300")
    try:
        yield name
    finally:
        wharfd.docker("rm", "-f", name, check=False)


@pytest.mark.parametrize("tty", [False, True])
def test_exec_exit_code_as_soon_as_its_stream_ends(api: docker.APIClient, sleeper: str,
                                                   tty: bool) -> None:
    for n in range(ROUNDS):
        exec_id = api.exec_create(sleeper, ["sh", "-c", f"echo {n}; exit {n % 7 + 1}"],
                                  tty=tty)["Id"]
        output = api.exec_start(exec_id, tty=tty)  # read to the stream's end
        assert output.replace(b"\r\n", b"\n") == f"{n}\n".encode()
        inspected = api.exec_inspect(exec_id)  # at once: no poll in between
        assert (inspected["Running"], inspected["ExitCode"]) == (False, n % 7 + 1), n


def test_exec_exit_code_after_a_hijacked_socket_ends(api: docker.APIClient,
                                                     sleeper: str) -> None:
    for n in range(ROUNDS):
        exec_id = api.exec_create(sleeper, ["sh", "-c", "exit 5"])["Id"]
        sock = api.exec_start(exec_id, socket=True)
        raw = getattr(sock, "_sock", sock)
        raw.settimeout(20)
        while raw.recv(4096):  # until the daemon's EOF
            pass
        sock.close()
        assert api.exec_inspect(exec_id)["ExitCode"] == 5, n


def test_docker_py_exec_run_codes(client: docker.DockerClient, sleeper: str) -> None:
    container = client.containers.get(sleeper)
    codes = [container.exec_run(["sh", "-c", "exit 3"]).exit_code for _ in range(ROUNDS)]
    assert codes == [3] * ROUNDS


@pytest.mark.parametrize("prefix", ["", "/v1.47", "/v1.24"])
def test_unversioned_and_versioned_paths(wharfd: Daemon, sleeper: str, prefix: str) -> None:
    status, body = wharfd.request("GET", f"{prefix}/containers/json")
    assert status == 200
    assert f"/{sleeper}" in [n for c in json.loads(body) for n in c["Names"]]
    assert wharfd.request("GET", f"{prefix}/_ping")[1] == b"OK"


def test_too_new_an_api_version_is_a_400(wharfd: Daemon) -> None:
    status, body = wharfd.request("GET", "/v9.99/containers/json")
    assert status == 400 and b"is too new" in body


@pytest.mark.parametrize("filters", [{"label": ["wire=yes"]}, {"label": {"wire=yes": True}}],
                         ids=["list", "map"])
@pytest.mark.parametrize("path", ["/containers/json", "/networks", "/volumes", "/images/json"])
def test_filters_in_both_forms(wharfd: Daemon, sleeper: str, filters: dict[str, object],
                               path: str) -> None:
    query = urllib.parse.quote(json.dumps(filters))
    status, body = wharfd.request("GET", f"{path}?filters={query}")
    assert status == 200, body
    found = json.loads(body)
    if path == "/containers/json":
        assert [c["Names"] for c in found] == [[f"/{sleeper}"]]
    elif path == "/volumes":
        assert found["Volumes"] in ([], None)
    else:
        assert found == []


def test_a_filter_of_a_bad_shape_is_a_400(wharfd: Daemon) -> None:
    query = urllib.parse.quote(json.dumps({"label": "wire=yes"}))
    status, body = wharfd.request("GET", f"/containers/json?filters={query}")
    assert status == 400 and json.loads(body)["message"]


def test_an_imported_image_without_config_has_a_config(wharfd: Daemon) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"hi\n"))
    ref = f"wire-bare:{uuid.uuid4().hex[:8]}"
    repo, tag = ref.split(":")
    status, body = wharfd.request("POST", f"/images/create?fromSrc=-&repo={repo}&tag={tag}",
                                  buf.getvalue(), {"Content-Type": "application/x-tar"})
    assert status == 200, body
    try:
        for prefix in ("", "/v1.47", "/v1.41"):
            inspected = wharfd.json("GET", f"{prefix}/images/{ref}/json")
            assert isinstance(inspected, dict) and isinstance(inspected["Config"], dict)
    finally:
        wharfd.request("DELETE", f"/images/{ref}")


@pytest.mark.parametrize("prefix", ["", "/v1.47", "/v1.41"])
def test_events_carry_the_legacy_fields(wharfd: Daemon, prefix: str) -> None:
    since = time.time() - 1
    name = f"wire-ev-{uuid.uuid4().hex[:8]}"
    wharfd.docker("create", "--name", name, "--label", "wire=events", "busybox", "true")
    wharfd.docker("rm", name)
    until = time.time() + 1
    query = urllib.parse.quote(json.dumps({"container": [name]}))
    status, body = wharfd.request(
        "GET", f"{prefix}/events?since={since:.3f}&until={until:.3f}&filters={query}")
    assert status == 200, body
    events = [json.loads(line) for line in body.splitlines() if line.strip()]
    assert [e["Action"] for e in events] == ["create", "destroy"]
    for event in events:
        assert event["status"] == event["Action"]
        assert event["id"] == event["Actor"]["ID"]
        assert event["from"] == "busybox" == event["Actor"]["Attributes"]["image"]
        assert event["Type"] == "container" and event["scope"] == "local"
        assert event["Actor"]["Attributes"]["wire"] == "events"  # a container's labels too


def test_network_publish_and_expose_filters(client: docker.DockerClient) -> None:
    network = client.networks.create(f"wire-net-{uuid.uuid4().hex[:8]}")
    container = client.containers.run("busybox", ["sleep", "300"], detach=True,
                                      network=network.name, ports={"8080/tcp": None})
    try:
        def ids(filters: dict[str, object]) -> list[str]:
            return [c.id for c in client.containers.list(filters=filters)]
        assert ids({"network": network.name}) == [container.id]
        assert ids({"network": network.id[:12]}) == [container.id]
        assert ids({"publish": "8080/tcp"}) == [container.id]
        assert ids({"expose": "8000-8100"}) == [container.id]
        assert ids({"publish": "9090"}) == []
        with pytest.raises(docker.errors.APIError) as refused:
            ids({"publish": "http"})
        assert refused.value.status_code == 400
    finally:
        container.remove(force=True)
        network.remove()


def test_create_with_a_platform_checks_the_image(wharfd: Daemon) -> None:
    arch = wharfd.json("GET", "/images/busybox/json")["Architecture"]  # type: ignore[index]
    other = "arm64" if arch != "arm64" else "amd64"
    body = json.dumps({"Image": "busybox"}).encode()
    headers = {"Content-Type": "application/json"}
    status, answer = wharfd.request("POST", f"/containers/create?platform=linux/{other}",
                                    body, headers)
    assert status == 404, answer
    assert json.loads(answer)["message"] == (
        "image with reference busybox was found but does not match the specified platform: "
        f"wanted linux/{other}, actual: linux/{arch}")
    status, answer = wharfd.request("POST", f"/containers/create?platform=linux/{arch}",
                                    body, headers)
    assert status == 201, answer
    wharfd.request("DELETE", f"/containers/{json.loads(answer)['Id']}")


def test_a_link_to_no_container_is_a_400(wharfd: Daemon) -> None:
    body = json.dumps({"Image": "busybox", "HostConfig": {"Links": ["nosuch:alias"]}})
    status, answer = wharfd.request("POST", "/containers/create", body.encode(),
                                    {"Content-Type": "application/json"})
    assert status == 400, answer
    assert json.loads(answer)["message"] == (
        "could not get container for nosuch: No such container: nosuch")


@pytest.mark.parametrize("path", ["/v1.47/events", "/containers/{id}/export",
                                  "/containers/{id}/archive?path=/bin",
                                  "/images/get?names=busybox"])
def test_a_reader_that_leaves_is_no_server_error(wharfd: Daemon, sleeper: str,
                                                 path: str) -> None:
    reader = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    reader.settimeout(10)
    reader.connect(str(wharfd.socket_path))
    request = f"GET {path.format(id=sleeper)} HTTP/1.1\r\nHost: localhost\r\n\r\n"
    reader.sendall(request.encode())
    assert reader.recv(4096).startswith(b"HTTP/1.1 200")
    reader.close()  # gone, unannounced: the next write finds the connection closed
    for _ in range(3):  # (events to write for the events reader)
        wharfd.docker("rm", wharfd.docker("create", "busybox").stdout.decode().strip())
    time.sleep(1.5)  # (past the daemon's disconnect poll: an absence cannot be polled for)
    assert "Error handling request" not in wharfd.log_tail(1_000_000)
