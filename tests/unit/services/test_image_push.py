"""The push service on real stores and an in-memory registry."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.unit.services.registry_fakes import FakeRegistry, FakeRepo, layer_tar, make_image

from wharf.core.digest import Digest
from wharf.core.errors import NotFound
from wharf.core.reference import parse_reference
from wharf.services.image_pull import PullOptions, PullService
from wharf.services.image_push import PushService, push_reference
from wharf.services.image_store import ImageStore
from wharf.services.registry_port import RegistryAuth
from wharf.store.content import ContentStore
from wharf.store.metadata import MetadataStore
from wharf.store.snapshots import open_snapshotter

pytestmark = pytest.mark.root

HOST = "127.0.0.1:5000"


@dataclass
class Env:
    store: ImageStore
    db: MetadataStore
    registry: FakeRegistry
    pulls: PullService
    pushes: PushService
    events: list[tuple[str, str, dict[str, str]]]

    def push(self, ref: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        self.pushes.push(push_reference(*ref.rsplit(":", 1)), RegistryAuth(), messages.append)
        return messages


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    db = MetadataStore(tmp_path / "metadata.db")
    store = ImageStore(ContentStore(tmp_path / "content"), db, open_snapshotter(tmp_path))
    registry = FakeRegistry()
    events: list[tuple[str, str, dict[str, str]]] = []
    yield Env(store, db, registry, PullService(store, registry),
              PushService(store, registry, on_event=lambda *e: events.append(e),
                          concurrency=2), events)
    db.close()


def statuses(messages: list[dict[str, Any]]) -> list[str]:
    return [str(m.get("status")) for m in messages]


def test_a_pulled_image_pushes_its_exact_manifest_mounting_its_layers(env: Env) -> None:
    image = make_image([{"a": b"1" * 5000}, {"b": b"2"}, {"c": b"3"}])
    env.registry.repos[f"{HOST}/src"] = FakeRepo(registry=env.registry, domain=HOST)
    env.registry.repos[f"{HOST}/src"].add("1", image)
    env.pulls.pull(parse_reference(f"{HOST}/src:1"), PullOptions(), lambda m: None)
    image_id = env.db.get_tag(f"{HOST}/src:1")
    assert image_id is not None
    env.db.set_tag(f"{HOST}/dst:2", image_id)
    messages = env.push(f"{HOST}/dst:2")
    assert messages[0] == {"status": f"The push refers to repository [{HOST}/dst]"}
    assert statuses(messages).count("Mounted from src") == 3
    assert statuses(messages).count("Preparing") == 3 and "Waiting" in statuses(messages)
    dst = env.registry.repos[f"{HOST}/dst"]
    assert dst.manifests["2"].data == image.manifest
    assert messages[-2] == {"status": f"2: digest: {image.manifest_digest} size: "
                                      f"{len(image.manifest)}"}
    assert messages[-1] == {"progressDetail": {}, "aux": {
        "Tag": "2", "Digest": str(image.manifest_digest), "Size": len(image.manifest)}}
    again = env.push(f"{HOST}/dst:2")
    assert statuses(again).count("Layer already exists") == 3
    assert env.events[-1] == ("push", f"{HOST}/dst:2", {"name": f"{HOST}/dst"})


def test_a_local_image_uploads_its_layers(env: Env) -> None:
    layer = env.store.add_layer(io.BytesIO(layer_tar({"x": b"hello"})), None)
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": [layer.diff_id]}}).encode()
    env.store.store_image(config, [layer], parse_reference(f"{HOST}/local:1"))
    messages = env.push(f"{HOST}/local:1")
    progress_id = layer.diff_id[7:19]
    assert {"status": "Pushed", "progressDetail": {}, "id": progress_id} in messages
    repo = env.registry.repos[f"{HOST}/local"]
    manifest = json.loads(repo.manifests["1"].data)
    assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    for descriptor in [manifest["config"], *manifest["layers"]]:
        assert descriptor["digest"] in {str(d) for d in repo.blobs}


def test_push_without_tag_pushes_every_tag_and_unknown_is_not_found(env: Env) -> None:
    layer = env.store.add_layer(io.BytesIO(layer_tar({"x": b"y"})), None)
    config = json.dumps({"rootfs": {"type": "layers", "diff_ids": [layer.diff_id]}}).encode()
    for tag in ("a", "b"):
        env.store.store_image(config, [layer], parse_reference(f"{HOST}/many:{tag}"))
    messages: list[dict[str, Any]] = []
    env.pushes.push(parse_reference(f"{HOST}/many"), RegistryAuth(), messages.append)
    assert {m["aux"]["Tag"] for m in messages if "aux" in m} == {"a", "b"}
    with pytest.raises(NotFound, match="An image does not exist locally with the tag: "
                                        f"{HOST}/nothing"):
        env.push(f"{HOST}/nothing:1")


def test_a_layer_that_already_existed_at_pull_is_pushed_from_its_own_blob(env: Env) -> None:
    image = make_image([{"base": b"b" * 4000}, {"top": b"t"}])
    local = env.store.add_layer(io.BytesIO(layer_tar({"base": b"b" * 4000})), None)
    config = {"architecture": "amd64", "os": "linux", "config": {},
              "rootfs": {"type": "layers", "diff_ids": [local.diff_id]}}
    env.store.store_image(json.dumps(config).encode(), [local])  # keeps the local layer
    env.registry.repos[f"{HOST}/src"] = FakeRepo(registry=env.registry, domain=HOST)
    env.registry.repos[f"{HOST}/src"].add("1", image)
    pulled = []
    env.pulls.pull(parse_reference(f"{HOST}/src:1"), PullOptions(), pulled.append)
    assert "Already exists" in statuses(pulled)
    image_id = env.db.get_tag(f"{HOST}/src:1")
    assert image_id is not None
    env.db.set_tag("127.0.0.2:5000/dst:1", image_id)
    messages = env.push("127.0.0.2:5000/dst:1")
    pushed = json.loads(env.registry.repos["127.0.0.2:5000/dst"].manifests["1"].data)
    original = json.loads(image.manifest)
    assert pushed["layers"][0]["digest"] == local.blob_digest != original["layers"][0]["digest"]
    assert pushed["layers"][1] == original["layers"][1]
    dst = env.registry.repos["127.0.0.2:5000/dst"]
    assert all(Digest.parse(layer["digest"]) in dst.blobs for layer in pushed["layers"])
    assert statuses(messages).count("Pushed") == 2
