"""docker-py 7's image API against wharfd, end to end with a local registry: build, tag,
push, remove, pull back, run; save/load; history; list filters; remove.

(The build options, pull/push progress messages and save/load of pulled images are in
test_build_docker_py.py and distribution/test_docker_py.py.)"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import docker
import docker.errors
import pytest

from tests.support.registries import Registry, cncf_registry
from tests.support.scratch import scratch_dir

DOCKERFILE = (b"FROM busybox\nLABEL suite=docker-py-images\nRUN echo built > /built\n"
              b'CMD ["cat", "/built"]\n')


@pytest.fixture(scope="module")
def registry() -> Iterator[Registry]:
    with scratch_dir("wharf-pyreg-") as tmp, cncf_registry(tmp, "none") as running:
        yield running


@pytest.fixture
def built(client: docker.DockerClient) -> Iterator[str]:
    repo = f"py-images-{uuid.uuid4().hex[:8]}"
    client.images.build(fileobj=io.BytesIO(DOCKERFILE), tag=f"{repo}:v1", rm=True)
    try:
        yield repo
    finally:
        for image in client.images.list(filters={"label": "suite=docker-py-images"}):
            client.images.remove(image.id, force=True)


def test_tag_push_remove_pull_run(client: docker.DockerClient, built: str,
                                  registry: Registry) -> None:
    image = client.images.get(f"{built}:v1")
    remote = f"{registry.host}/py/{built}"
    assert image.tag(remote, "v2") is True
    assert f"{remote}:v2" in client.images.get(image.id).tags
    pushed = list(client.images.push(remote, tag="v2", stream=True, decode=True))
    assert not [m for m in pushed if "error" in m], pushed
    assert pushed[-1]["aux"]["Tag"] == "v2"

    client.images.remove(f"{remote}:v2")
    assert f"{remote}:v2" not in client.images.get(image.id).tags
    pulled = client.images.pull(remote, tag="v2")
    assert pulled.id == image.id
    assert client.containers.run(f"{remote}:v2", remove=True) == b"built\n"


def test_save_and_load_a_built_image(client: docker.DockerClient, built: str) -> None:
    image = client.images.get(f"{built}:v1")
    archive = b"".join(image.save(named=True))
    client.images.remove(f"{built}:v1")
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get(f"{built}:v1")
    loaded = client.images.load(archive)
    assert [i.id for i in loaded] == [image.id]
    assert f"{built}:v1" in client.images.get(image.id).tags


def test_history_and_list_filters(client: docker.DockerClient, built: str) -> None:
    image = client.images.get(f"{built}:v1")
    history = image.history()
    assert history[0]["Id"] == image.id
    assert any("echo built" in step["CreatedBy"] for step in history)
    assert [i.id for i in client.images.list(name=built)] == [image.id]
    assert [i.id for i in client.images.list(filters={"reference": f"{built}:*"})] == [image.id]
    assert image.id in [i.id for i in client.images.list(
        filters={"label": ["suite=docker-py-images"]})]
    assert image.labels == {"suite": "docker-py-images"}


def test_removing_an_image_in_use_is_a_conflict(client: docker.DockerClient,
                                                 built: str) -> None:
    container = client.containers.create(f"{built}:v1")
    try:
        with pytest.raises(docker.errors.APIError) as refused:
            client.images.remove(client.images.get(f"{built}:v1").id)
        assert refused.value.status_code == 409
    finally:
        container.remove()
