"""docker-py 7 pulls, pushes, saves and loads through an engine, with Docker's progress messages.

Clients parse the pull/push JSON stream (docker-java fails on a status it does not know), so
every message's status must be one of Docker's texts. Each test runs against dockerd (the
reference) and wharfd.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from tests.support.daemons import Daemon, busybox_tar
from tests.support.imagegen import GeneratedImage
from tests.support.registries import Registry, push_with_skopeo

LAYER_STATUSES = {"Pulling fs layer", "Waiting", "Downloading", "Verifying Checksum",
                  "Download complete", "Extracting", "Pull complete", "Already exists"}
PUSH_STATUSES = {"Preparing", "Waiting", "Pushing", "Pushed", "Layer already exists"}


@pytest.fixture
def py(engine: Daemon) -> Iterator[docker.DockerClient]:
    client = docker.DockerClient(base_url=engine.host, version="auto", timeout=300)
    try:
        yield client
    finally:
        client.close()


def auth_of(registry: Registry) -> dict[str, str] | None:
    if registry.username is None or registry.password is None:
        return None
    return {"username": registry.username, "password": registry.password}


def test_pull_returns_the_image_and_streams_dockers_messages(
        py: docker.DockerClient, cncf_htpasswd: Registry, tmp_path: Path,
        image: GeneratedImage) -> None:
    repo = f"{cncf_htpasswd.host}/py/pull-{uuid.uuid4().hex[:8]}"
    push_with_skopeo(tmp_path, cncf_htpasswd, image.oci_ref,
                     repo.split("/", 1)[1], "v1")
    auth = auth_of(cncf_htpasswd)
    try:
        pulled = py.images.pull(repo, tag="v1", auth_config=auth)
        assert pulled.id == image.config_digest
        assert f"{repo}:v1" in pulled.tags
        py.images.remove(f"{repo}:v1")
        messages = list(py.api.pull(repo, tag="v1", stream=True, decode=True, auth_config=auth))
        assert messages[0] == {"status": f"Pulling from {repo.split('/', 1)[1]}", "id": "v1"}
        short_ids = {d[7:19]: size for d, size in zip(image.layer_digests, image.layer_sizes,
                                                      strict=True)}
        for message in messages[1:-2]:
            assert "error" not in message, message
            assert message["status"] in LAYER_STATUSES, message
            assert message["id"] in short_ids, message
            if message["status"] in ("Downloading", "Extracting"):
                detail = message["progressDetail"]
                assert 0 <= detail["current"] <= detail["total"], message
            if message["status"] == "Downloading":
                assert message["progressDetail"]["total"] == short_ids[message["id"]]
        completed = {m["id"] for m in messages if m.get("status") == "Pull complete"}
        assert completed == set(short_ids)
        assert messages[-2] == {"status": f"Digest: {image.manifest_digest}"}
        assert messages[-1] == {"status": f"Status: Downloaded newer image for {repo}:v1"}
    finally:
        with_no_error(lambda: py.images.remove(f"{repo}:v1", force=True))


def test_push_streams_dockers_messages_and_the_digest(py: docker.DockerClient,
                                                      cncf_token: Registry) -> None:
    repo = f"{cncf_token.host}/py/push-{uuid.uuid4().hex[:8]}"
    py.api.import_image_from_data(busybox_tar(), repository=repo, tag="v1")
    try:
        messages = list(py.images.push(repo, tag="v1", auth_config=auth_of(cncf_token),
                                       stream=True, decode=True))
        assert messages[0]["status"] == f"The push refers to repository [{repo}]"
        for message in messages[1:-2]:
            assert "error" not in message, message
            status = message["status"]
            assert status in PUSH_STATUSES or status.startswith("Mounted from "), message
            assert re.fullmatch(r"[0-9a-f]{12}", message["id"]), message
        final = re.fullmatch(r"v1: digest: (sha256:[0-9a-f]{64}) size: (\d+)",
                             messages[-2]["status"])
        assert final, messages[-2]
        assert messages[-1]["aux"] == {"Tag": "v1", "Digest": final[1], "Size": int(final[2])}
        digest, manifest = cncf_token.manifest(repo.split("/", 1)[1], "v1")
        assert (digest, len(manifest)) == (final[1], int(final[2]))
    finally:
        with_no_error(lambda: py.images.remove(f"{repo}:v1"))


def test_save_with_get_and_load(py: docker.DockerClient, cncf: Registry, tmp_path: Path,
                                image: GeneratedImage) -> None:
    name = f"py/saved-{uuid.uuid4().hex[:8]}"
    ref = push_with_skopeo(tmp_path, cncf, image.oci_ref, name, "v1")
    try:
        py.images.pull(ref)
        archive = b"".join(py.images.get(ref).save(named=True))
        py.images.remove(ref)
        loaded = py.images.load(archive)
        assert [i.id for i in loaded] == [image.config_digest]
        assert ref in py.images.get(ref).tags
    finally:
        with_no_error(lambda: py.images.remove(ref, force=True))


def with_no_error(action: Callable[[], object]) -> None:
    with contextlib.suppress(docker.errors.APIError):
        action()
