"""Multi-stage builds, scratch, ONBUILD, --cache-from, ownership and pulls of a missing base,
through ``POST /build`` on a real wharfd."""

from __future__ import annotations

import base64
import http.server
import io
import json
import tarfile
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from tests.integration.build.test_build import (
    build,
    context_tar,
    image_id,
    inspect,
    output,
    run_output,
    unique_tag,
)
from tests.support.daemons import Daemon
from tests.support.registries import Registry, cncf_registry
from tests.support.scratch import scratch_dir

pytestmark = pytest.mark.root


def built(daemon: Daemon, files: dict[str, str | bytes], **query: Any) -> list[dict[str, Any]]:
    status, messages = build(daemon, files, **query)
    assert status == 200, messages
    return messages


def ok(messages: list[dict[str, Any]]) -> str:
    text = output(messages)
    assert "errorDetail" not in json.dumps(messages), (text, messages[-1])
    return text


def test_independent_stages_build_at_once(wharfd: Daemon) -> None:
    dockerfile = (
        "FROM busybox AS one\nRUN sleep 2 && echo one > /one\n"
        "FROM busybox AS two\nRUN sleep 2 && echo two > /two\n"
        "FROM busybox\nCOPY --from=one /one /one\nCOPY --from=two /two /two\n"
    )
    tag = unique_tag()
    ok(built(wharfd, {"Dockerfile": "FROM busybox\nRUN true\n"}, nocache="1"))  # warm
    started = time.monotonic()
    messages = built(wharfd, {"Dockerfile": dockerfile}, t=tag, nocache="1")
    elapsed = time.monotonic() - started
    text = ok(messages)
    assert elapsed < 3.6, f"stages ran one after the other ({elapsed:.1f}s)"
    # the output still reads in Dockerfile order
    first, second = "Step 1/7 : FROM busybox AS one", "Step 3/7 : FROM busybox AS two"
    assert text.index(first) < text.index(second)
    assert run_output(wharfd, tag, ["cat", "/one", "/two"]) == "one\ntwo\n"


def test_scratch_copy_workdir_and_chown(wharfd: Daemon) -> None:
    tag = unique_tag()
    files: dict[str, str | bytes] = {
        "Dockerfile": "FROM scratch\nCOPY data.txt /data/\nWORKDIR /made/here\nCMD [\"x\"]\n",
        "data.txt": "payload\n",
    }
    messages = built(wharfd, files, t=tag)
    text = ok(messages)
    assert "Step 1/4 : FROM scratch\n ---> \n" in text
    found = inspect(wharfd, tag)
    assert len(found["RootFS"]["Layers"]) == 2  # COPY and WORKDIR (a directory was made)
    assert found["Config"]["WorkingDir"] == "/made/here"
    owned = unique_tag()
    files = {
        "Dockerfile": "FROM busybox\nCOPY --chown=daemon:123 --chmod=600 data.txt /d\n"
                      "RUN stat -c '%u:%g %a' /d > /owner\n",
        "data.txt": "payload\n",
    }
    messages = built(wharfd, files, t=owned)
    ok(messages)
    assert run_output(wharfd, owned, ["cat", "/owner"]) == "1:123 600\n"


def test_onbuild_triggers_run_in_the_child(wharfd: Daemon) -> None:
    parent = unique_tag()
    messages = built(wharfd, {"Dockerfile": "FROM busybox\nONBUILD RUN echo hi > /trig\n"},
                     t=parent)
    ok(messages)
    child = unique_tag()
    messages = built(wharfd, {"Dockerfile": f"FROM {parent}\nCMD [\"sh\"]\n"}, t=child)
    text = ok(messages)
    assert "# Executing 1 build trigger\n" in text
    assert run_output(wharfd, child, ["cat", "/trig"]) == "hi\n"
    assert not inspect(wharfd, child)["Config"].get("OnBuild")


def test_cache_from_an_image_without_local_step_records(wharfd: Daemon) -> None:
    files: dict[str, str | bytes] = {"Dockerfile": "FROM busybox\nENV A=cachefrom\n"
                                                   "RUN echo $A > /a\n"}
    tag = unique_tag()
    first = built(wharfd, files, t=tag)
    ok(first)
    status, pruned = wharfd.request("POST", "/build/prune?all=1")
    assert status == 200, pruned
    assert json.loads(pruned)["CachesDeleted"]
    cached = built(wharfd, files, cachefrom=json.dumps([tag]))
    text = ok(cached)
    assert text.count(" ---> Using cache\n") == 2, text
    assert image_id(cached) == image_id(first)
    status, pruned = wharfd.request("POST", "/build/prune?all=1")
    again = built(wharfd, files)
    assert "Using cache" not in output(again)  # the step records are gone


def _layer_tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_add_extracts_a_local_tar(wharfd: Daemon) -> None:
    tag = unique_tag()
    files: dict[str, str | bytes] = {
        "Dockerfile": "FROM busybox\nADD bundle.tar.gz /opt/\n",
        "bundle.tar.gz": _layer_tar({"inner/file.txt": b"inside\n"}),
    }
    messages = built(wharfd, files, t=tag)
    ok(messages)
    assert run_output(wharfd, tag, ["cat", "/opt/inner/file.txt"]) == "inside\n"


@pytest.fixture(scope="module")
def registry() -> Iterator[str]:
    with scratch_dir("wharf-reg-") as tmp, cncf_registry(tmp) as running:
        yield running.host


def test_missing_base_is_pulled(wharfd: Daemon, registry: str) -> None:
    remote = f"{registry}/wharf-build-base-{unique_tag().split(':')[0][-10:]}:1"
    repo, tag = remote.rsplit(":", 1)
    status, body = wharfd.request("POST", f"/images/busybox/tag?repo={repo}&tag={tag}")
    assert status == 201, body
    status, body = wharfd.request("POST", f"/images/{repo}/push?tag={tag}")
    assert status == 200 and b"errorDetail" not in body, body
    status, body = wharfd.request("DELETE", f"/images/{remote}")
    assert status == 200, body
    messages = built(wharfd, {"Dockerfile": f"FROM {remote}\nRUN true\n"})
    text = ok(messages)
    assert any(m.get("status", "").startswith("Digest: sha256:") for m in messages), messages
    assert "Step 2/2 : RUN true" in text
    inspect(wharfd, remote)


def test_cache_from_a_loaded_image_restores_every_step(wharfd: Daemon) -> None:
    files: dict[str, str | bytes] = {
        "Dockerfile": "FROM busybox\nENV B=loaded\nRUN echo $B > /b\nCOPY f /f\n"
                      "CMD [\"cat\", \"/b\"]\n",
        "f": "file\n",
    }
    tag = unique_tag()
    original = image_id(built(wharfd, files, t=tag))
    status, saved = wharfd.request("GET", f"/images/{tag}/get")
    assert status == 200
    assert wharfd.request("DELETE", f"/images/{tag}")[0] == 200  # its intermediates go too
    wharfd.request("POST", "/build/prune?all=1")
    status, body = wharfd.request("POST", "/images/load?quiet=1", saved,
                                  {"Content-Type": "application/x-tar"})
    assert status == 200, body
    text = ok(cached := built(wharfd, files, cachefrom=json.dumps([tag])))
    assert text.count(" ---> Using cache\n") == 4, text
    assert image_id(cached) == original
    assert run_output(wharfd, original, ["cat", "/b", "/f"]) == "loaded\nfile\n"


def test_add_url_downloads_and_never_extracts(wharfd: Daemon) -> None:
    payload = _layer_tar({"inner.txt": b"x\n"})

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.timeout = 10
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/archive.tar.gz"
        tag = unique_tag()
        ok(built(wharfd, {"Dockerfile": f"FROM busybox\nADD {url} /dl/\n"}, t=tag))
        listing = run_output(wharfd, tag, ["sh", "-c", "ls /dl; stat -c %a /dl/archive.tar.gz"])
        assert listing == "archive.tar.gz\n600\n"
    finally:
        server.shutdown()
        server.server_close()


def test_scratch_with_metadata_only(wharfd: Daemon) -> None:
    tag = unique_tag()
    ok(built(wharfd, {"Dockerfile": "FROM scratch\nLABEL only=config\nCMD [\"/x\"]\n"}, t=tag))
    found = inspect(wharfd, tag)
    assert found["RootFS"].get("Layers") in (None, [])
    assert found["Config"]["Labels"] == {"only": "config"}
    assert found["Config"]["Env"] == \
        ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]


@pytest.fixture(scope="module")
def private_registry() -> Iterator[Registry]:
    with scratch_dir("wharf-reg-auth-") as tmp, cncf_registry(tmp, auth="htpasswd") as running:
        yield running


def _auth_header(registry: Registry) -> str:
    auth = {"username": registry.username, "password": registry.password,
            "serveraddress": registry.host}
    return base64.urlsafe_b64encode(json.dumps(auth).encode()).decode()


def test_base_pulled_with_x_registry_config(wharfd: Daemon, private_registry: Registry) -> None:
    remote = f"{private_registry.host}/wharf-private-{unique_tag().split(':')[0][-10:]}:1"
    repo, tag = remote.rsplit(":", 1)
    assert wharfd.request("POST", f"/images/busybox/tag?repo={repo}&tag={tag}")[0] == 201
    status, body = wharfd.request("POST", f"/images/{repo}/push?tag={tag}", None,
                                  {"X-Registry-Auth": _auth_header(private_registry)})
    assert status == 200 and b"errorDetail" not in body, body
    assert wharfd.request("DELETE", f"/images/{remote}")[0] == 200
    body_tar = context_tar({"Dockerfile": f"FROM {remote}\n"})
    status, denied = wharfd.request("POST", "/build", body_tar,
                                    {"Content-Type": "application/x-tar"})
    assert b"errorDetail" in denied or status >= 400, denied
    config = {private_registry.host: {"username": private_registry.username,
                                      "password": private_registry.password}}
    header = base64.urlsafe_b64encode(json.dumps(config).encode()).decode()
    status, body = wharfd.request("POST", "/build", body_tar,
                                  {"Content-Type": "application/x-tar",
                                   "X-Registry-Config": header})
    assert status == 200 and b"errorDetail" not in body, body
    assert b"Successfully built" in body
