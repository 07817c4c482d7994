"""The pull service on real stores (content, metadata, both snapshotters) and an in-memory
registry: exact bytes, verification, Already exists, resume, progress messages."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.unit.services.registry_fakes import FakeRegistry, FakeRepo, index_of, make_image

from wharf.core.digest import Digest
from wharf.core.errors import InvalidParameter, NotFound, WharfError
from wharf.core.reference import parse_reference
from wharf.services.image_pull import PullOptions, PullService, pull_reference
from wharf.services.image_store import ImageStore
from wharf.store.content import ContentStore
from wharf.store.metadata import MetadataStore
from wharf.store.snapshots import open_snapshotter

pytestmark = pytest.mark.root  # unpacking keeps owners; overlay whiteouts need mknod

NAME = "127.0.0.1:5000/team/app"
BIG = bytes(range(256)) * 4096  # 1 MiB, compresses


@dataclass
class Env:
    store: ImageStore
    content: ContentStore
    db: MetadataStore
    registry: FakeRegistry
    pulls: PullService
    events: list[tuple[str, str, dict[str, str]]]
    messages: list[dict[str, Any]]

    def pull(self, ref: str, **options: Any) -> list[dict[str, Any]]:
        self.messages.clear()
        self.pulls.pull(parse_reference(ref), PullOptions(**options), self.messages.append)
        return list(self.messages)

    def repo(self) -> FakeRepo:
        return self.registry.repos.setdefault(parse_reference(NAME).name, FakeRepo())


@pytest.fixture(params=["overlay2", "native"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    content = ContentStore(tmp_path / "content")
    db = MetadataStore(tmp_path / "metadata.db")
    snaps = open_snapshotter(tmp_path, request.param)
    store = ImageStore(content, db, snaps)
    registry = FakeRegistry()
    events: list[tuple[str, str, dict[str, str]]] = []
    pulls = PullService(store, registry, on_event=lambda *e: events.append(e), concurrency=2,
                        attempts=1)  # one try: what a failed transfer leaves (retries below)
    yield Env(store, content, db, registry, pulls, events, [])
    db.close()


def statuses(messages: list[dict[str, Any]], id_: str) -> list[str]:
    return [m["status"] for m in messages if m.get("id") == id_]


def test_pull_keeps_exact_bytes_and_reports_like_docker(env: Env) -> None:
    image = make_image([{"a": BIG}, {"b": b"two"}, {"c": b"three"}], zstd_last=True,
                       plain_first=True)
    env.repo().add("v1", image)
    messages = env.pull(f"{NAME}:v1")
    assert messages[0] == {"status": "Pulling from team/app", "id": "v1"}
    first = json.loads(image.manifest)["layers"][0]["digest"][7:19]
    seen = statuses(messages, first)
    assert seen[0] == "Pulling fs layer" and seen[-1] == "Pull complete"
    assert "Downloading" in seen and seen.index("Download complete") < seen.index("Pull complete")
    assert "Verifying Checksum" in seen and "Extracting" in seen
    waiting = [m for m in messages if m["status"] == "Waiting"]
    assert len(waiting) == 1 and waiting[0]["progressDetail"] == {}  # 3 layers, 2 at a time
    downloading = next(m for m in messages if m["status"] == "Downloading")
    assert set(downloading["progressDetail"]) <= {"current", "total"}
    assert downloading["progress"].startswith("[")
    assert messages[-2] == {"status": f"Digest: {image.manifest_digest}"}
    assert messages[-1] == {"status": f"Status: Downloaded newer image for {NAME}:v1"}
    record = env.db.get_image(str(Digest.from_bytes(image.config)))
    assert record is not None and record.manifest_digest == str(image.manifest_digest)
    assert env.content.read_bytes(image.manifest_digest, 1 << 20) == image.manifest
    for blob, data in image.blobs.items():
        assert env.content.read_bytes(blob, 1 << 22) == data  # original compressed blobs
    layers = [env.db.get_layer(c) for c in record.chain_ids]
    assert [la.media_type for la in layers if la] == [
        "application/vnd.oci.image.layer.v1.tar",
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "application/vnd.oci.image.layer.v1.tar+zstd"]
    assert env.db.get_tag(f"{NAME}:v1") == record.id
    assert env.db.digests_of(record.id) == [f"{NAME}@{image.manifest_digest}"]
    assert env.events == [("pull", f"{NAME}:v1", {"name": NAME})]
    _, manifest = env.store.manifest_of(record.id)
    assert manifest.layers[0].digest == Digest.parse(json.loads(image.manifest)["layers"][0]
                                                     ["digest"])


def test_second_pull_is_up_to_date_and_fetches_nothing(env: Env) -> None:
    image = make_image([{"a": BIG}])
    env.repo().add("latest", image)
    env.pull(f"{NAME}:latest")
    served = env.repo().served
    messages = env.pull(f"{NAME}:latest")
    assert env.repo().served == served
    assert [m["status"] for m in messages][1] == "Already exists"
    assert messages[-1] == {"status": f"Status: Image is up to date for {NAME}:latest"}


def test_layers_shared_with_another_image_already_exist(env: Env) -> None:
    base = {"base": BIG}
    env.repo().add("one", make_image([base, {"x": b"1"}]))
    env.repo().add("two", make_image([base, {"y": b"2"}]))
    env.pull(f"{NAME}:one")
    messages = env.pull(f"{NAME}:two")
    assert [m["status"] for m in messages].count("Already exists") == 1
    assert [m["status"] for m in messages].count("Pull complete") == 1


def test_wrong_diff_id_commits_nothing(env: Env) -> None:
    env.repo().add("bad", make_image([{"a": b"x"}], bad_diff_id=True))
    with pytest.raises(InvalidParameter, match="diff id"):
        env.pull(f"{NAME}:bad")
    assert env.db.list_images() == [] and env.db.list_layers() == []
    assert env.store.snapshots.layers() == []
    assert list(env.content.walk()) == []


def test_corrupt_blob_is_refused_and_dropped(env: Env) -> None:
    image = make_image([{"a": BIG}])
    layer = Digest.parse(json.loads(image.manifest)["layers"][0]["digest"])
    data = bytearray(image.blobs[layer])
    data[len(data) // 2] ^= 0xFF
    image.blobs[layer] = bytes(data)
    env.repo().add("bad", image)
    with pytest.raises(InvalidParameter):
        env.pull(f"{NAME}:bad")
    assert env.db.list_images() == [] and env.store.snapshots.layers() == []
    assert env.content.partial_size(layer) == 0 and not env.content.has(layer)


def test_interrupted_download_resumes_with_the_rest(env: Env) -> None:
    image = make_image([{"a": os.urandom(2 << 20)}])
    layer = Digest.parse(json.loads(image.manifest)["layers"][0]["digest"])
    repo = env.repo()
    repo.add("latest", image)
    repo.fail_after = 1 << 20
    with pytest.raises(WharfError):
        env.pull(f"{NAME}:latest")
    assert env.content.partial_size(layer) == 1 << 20
    assert env.db.list_images() == [] and env.store.snapshots.layers() == []
    repo.fail_after, served = None, repo.served
    env.pull(f"{NAME}:latest")
    assert repo.served - served == len(image.blobs[layer]) - (1 << 20)
    assert env.content.has(layer) and env.content.partial_size(layer) == 0


def test_a_cut_transfer_is_retried_within_the_pull_resuming_each_time(env: Env) -> None:
    image = make_image([{"a": os.urandom(3 << 20)}])
    layer = Digest.parse(json.loads(image.manifest)["layers"][0]["digest"])
    repo = env.repo()
    repo.add("latest", image)
    repo.fail_after = 1 << 20  # every request is cut after 1 MiB: four requests in all
    retrying = PullService(env.store, env.registry, attempts=5, retry_delay=0.01)
    messages: list[dict[str, Any]] = []
    retrying.pull(parse_reference(f"{NAME}:latest"), PullOptions(), messages.append)
    assert repo.served == len(image.blobs[layer])  # each try fetched only what was missing
    assert statuses(messages, layer.short).count("Retrying in 1 second") == 3
    assert env.content.has(layer) and env.db.get_tag(f"{NAME}:latest") is not None


def test_retries_end_after_the_attempts_and_keep_the_partial_blob(env: Env) -> None:
    image = make_image([{"a": os.urandom(4 << 20)}])
    layer = Digest.parse(json.loads(image.manifest)["layers"][0]["digest"])
    repo = env.repo()
    repo.add("latest", image)
    repo.fail_after = 1 << 20
    retrying = PullService(env.store, env.registry, attempts=2, retry_delay=0.01)
    with pytest.raises(WharfError, match="connection reset"):
        retrying.pull(parse_reference(f"{NAME}:latest"), PullOptions(), lambda m: None)
    assert env.content.partial_size(layer) == 2 << 20
    assert env.db.list_images() == [] and env.store.snapshots.layers() == []


def test_a_registry_ignoring_range_restarts_the_blob(env: Env) -> None:
    image = make_image([{"a": os.urandom(1 << 20)}])
    repo = env.repo()
    repo.add("latest", image)
    repo.fail_after = 300_000
    with pytest.raises(WharfError):
        env.pull(f"{NAME}:latest")
    repo.fail_after, repo.ignore_range = None, True
    env.pull(f"{NAME}:latest")
    assert env.db.list_images() != []


def test_index_pull_picks_the_platform_and_keeps_the_index(env: Env) -> None:
    amd, arm = make_image([{"amd": b"1"}]), make_image([{"arm": b"2"}])
    index = index_of((amd, "amd64"), (arm, "arm64"))
    digest = env.repo().add_index("multi", index, amd, arm)
    messages = env.pull(f"{NAME}:multi", platform="linux/arm64")
    assert {"status": f"Digest: {digest}"} in messages
    image_id = str(Digest.from_bytes(arm.config))
    assert env.db.get_tag(f"{NAME}:multi") == image_id
    assert env.db.digests_of(image_id) == [f"{NAME}@{digest}"]
    assert env.content.read_bytes(digest, 1 << 20) == index
    with env.store.lock:
        env.store.delete_image(image_id, env.db.get_image(image_id).chain_ids)  # type: ignore[union-attr]
    assert not env.content.has(digest) and list(env.content.walk()) == []


def test_pull_by_digest_and_all_tags(env: Env) -> None:
    one, two = make_image([{"1": b"1"}]), make_image([{"2": b"2"}])
    env.repo().add("one", one)
    env.repo().add("two", two)
    messages = env.pull(f"{NAME}@{one.manifest_digest}")
    assert messages[-1]["status"] == (
        f"Status: Downloaded newer image for {NAME}@{one.manifest_digest}")
    assert env.db.get_tag(f"{NAME}:one") is None
    messages = env.pull(NAME)  # no tag: every tag
    assert env.db.get_tag(f"{NAME}:one") and env.db.get_tag(f"{NAME}:two")
    assert messages[-1] == {"status": f"Status: Downloaded newer image for {NAME}"}
    assert [m for m in messages if m["status"].startswith("Pulling from")] == [
        {"status": "Pulling from team/app", "id": "one"},
        {"status": "Pulling from team/app", "id": "two"}]
    assert env.pull(NAME)[-1] == {"status": f"Status: Image is up to date for {NAME}"}


def test_unknown_tag_and_repository(env: Env) -> None:
    env.repo().add("one", make_image([{"1": b"1"}]))
    with pytest.raises(NotFound, match="manifest for nope not found: manifest unknown"):
        env.pull(f"{NAME}:nope")
    with pytest.raises(NotFound, match="pull access denied"):
        env.pull("127.0.0.1:5000/other:latest")


def test_unknown_layer_media_type_is_refused(env: Env) -> None:
    image = make_image([{"1": b"1"}])
    doc = json.loads(image.manifest)
    doc["layers"][0]["mediaType"] = "application/x-strange"
    image.manifest = json.dumps(doc).encode()
    image.manifest_digest = Digest.from_bytes(image.manifest)
    env.repo().add("odd", image)
    with pytest.raises(InvalidParameter, match="unsupported layer media type"):
        env.pull(f"{NAME}:odd")


def test_a_failing_layer_cancels_the_others(env: Env) -> None:
    image = make_image([{"a": BIG}, {"b": BIG + b"b"}, {"c": BIG + b"c"}], bad_diff_id=True)
    env.repo().add("bad", image)
    with pytest.raises(InvalidParameter):
        env.pull(f"{NAME}:bad")
    assert env.db.list_images() == []


def test_concurrent_pulls_of_one_image(env: Env) -> None:
    env.repo().add("latest", make_image([{"a": BIG}, {"b": b"b"}]))
    errors: list[BaseException] = []

    def pull() -> None:
        try:
            env.pulls.pull(parse_reference(f"{NAME}:latest"), PullOptions(), lambda m: None)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
    threads = [threading.Thread(target=pull) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and len(env.db.list_images()) == 1


def test_pull_reference_reads_tag_and_digest_like_moby() -> None:
    assert str(pull_reference("busybox", "1.36")) == "docker.io/library/busybox:1.36"
    digest = "sha256:" + "a" * 64
    assert str(pull_reference("busybox", digest)) == f"docker.io/library/busybox@{digest}"
    name_only = pull_reference("busybox", "")
    assert name_only.tag is None and name_only.digest is None


def test_a_single_platform_image_must_match_the_platform_asked(env: Env) -> None:
    env.repo().add("one", make_image([{"1": b"1"}]))
    with pytest.raises(NotFound, match="does not match the specified platform: wanted "
                                       "linux/arm64, actual: linux/amd64"):
        env.pull(f"{NAME}:one", platform="linux/arm64")
    env.pull(f"{NAME}:one", platform="linux/amd64")
    with pytest.raises(InvalidParameter, match="unknown operating system or architecture"):
        env.pull(f"{NAME}:one", platform="amd64")


@pytest.mark.parametrize("config", [b"[]", b"{", b"[" * 100000 + b"]" * 100000,
                                    b'{"os": "linux", "architecture": "amd64", "rootfs": 1}'])
def test_a_config_that_is_not_an_image_config_is_refused(env: Env, config: bytes) -> None:
    image = make_image([{"1": b"1"}])
    doc = json.loads(image.manifest)
    image.blobs[Digest.from_bytes(config)] = config
    doc["config"].update(digest=str(Digest.from_bytes(config)), size=len(config))
    image.manifest = json.dumps(doc).encode()
    image.manifest_digest = Digest.from_bytes(image.manifest)
    env.repo().add("odd", image)
    for platform in ("", "linux/amd64"):
        with pytest.raises(InvalidParameter, match="invalid image config"):
            env.pull(f"{NAME}:odd", platform=platform)
    assert env.db.list_images() == []


def test_a_blob_listed_twice_is_fetched_once_and_unpacked_at_both_places(env: Env) -> None:
    image = make_image([{"a": b"1"}, {}, {"b": b"2"}, {}])  # the empty layer twice
    repo = env.repo()
    repo.add("dup", image)
    env.pull(f"{NAME}:dup")
    assert repo.served == sum(len(b) for d, b in image.blobs.items() if b != image.config) \
        and len(image.blobs) == 4  # config + 3 distinct layer blobs
    record = env.db.get_image(str(Digest.from_bytes(image.config)))
    assert record is not None and len(record.chain_ids) == 4
    assert all(env.store.snapshots.has_layer(c) for c in record.chain_ids)


def test_the_transfer_limit_holds_across_pulls(env: Env) -> None:
    pulls = PullService(env.store, env.registry, concurrency=1)
    repo = env.repo()
    repo.add("a", make_image([{"a1": BIG}, {"a2": BIG + b"2"}]))
    repo.add("b", make_image([{"b1": BIG + b"b"}, {"b2": BIG + b"c"}]))
    active, peak, lock = [0], [0], threading.Lock()
    repo.on_chunk = lambda: time.sleep(0.002)  # transfers long enough to overlap
    original = repo.open_blob

    def counted(digest: Digest, offset: int) -> tuple[int, Iterator[bytes]]:
        start, chunks = original(digest, offset)

        def run() -> Iterator[bytes]:
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            try:
                yield from chunks
            finally:
                with lock:
                    active[0] -= 1
        return start, run()
    repo.open_blob = counted  # type: ignore[method-assign]
    threads = [threading.Thread(target=pulls.pull, args=(
        parse_reference(f"{NAME}:{tag}"), PullOptions(), lambda m: None)) for tag in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert peak[0] == 1 and len(env.db.list_images()) == 2
