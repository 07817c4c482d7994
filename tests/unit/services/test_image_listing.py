"""docker images (filters, -a, shared sizes), history, rmi and image prune with moby's rules,
on a real data root (native snapshotter)."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from wharf.core.errors import Conflict, InvalidParameter
from wharf.services.image_archive import load_images, save_images
from wharf.services.images import Image, ImageService
from wharf.store.content import ContentStore
from wharf.store.metadata import MetadataStore
from wharf.store.snapshots import NativeSnapshotter

pytestmark = pytest.mark.root  # unpacking a layer keeps its files' owners (chown)


@dataclass
class Env:
    images: ImageService
    db: MetadataStore
    users: dict[str, list[str]] = field(default_factory=dict)


def make_env(root: Path) -> tuple[Env, MetadataStore]:
    (root / "tmp").mkdir(parents=True)
    db = MetadataStore(root / "metadata.db")
    users: dict[str, list[str]] = {}
    images = ImageService(
        ContentStore(root / "content"),
        db,
        NativeSnapshotter(root / "native"),
        lambda image_id: users.get(image_id, []),
        scratch_dir=root / "tmp",
    )
    return Env(images, db, users), db


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    made, db = make_env(tmp_path / "a")
    yield made
    db.close()


def tar_of(name: str, data: bytes) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return io.BytesIO(buf.getvalue())


def child_of(env: Env, base: Image, data: bytes, repo: str = "", tag: str = "",
             labels: dict[str, str] | None = None) -> Image:
    config = {"Cmd": ["sh"], **({"Labels": labels} if labels else {})}
    return env.images.commit(base, tar_of("f", data), config, created_by=f"add {data!r}",
                             repo=repo, tag=tag)


def ids(env: Env, all_: bool = False, **filters: list[str]) -> list[str]:
    return [i["Id"] for i in env.images.list(all_, dict(filters))]


def test_intermediate_images_show_with_all_only(env: Env) -> None:
    base = env.images.import_tar(tar_of("a", b"base"))
    child = child_of(env, base, b"child", "app", "1")
    assert ids(env) == [child.id]
    assert ids(env, True) == [child.id, base.id]
    assert ids(env, True, dangling=["true"]) == []  # an image with children is no head
    listed = env.images.list(True, {})
    assert listed[0]["ParentId"] == base.id and listed[1]["ParentId"] == ""
    assert env.images.inspect("app:1")["Parent"] == base.id


def test_history_ids_follow_the_parent_chain(env: Env) -> None:
    base = env.images.import_tar(tar_of("a", b"base"), "base", "1")
    middle = child_of(env, base, b"m")
    top = child_of(env, middle, b"t", "top", "1")
    rows = env.images.history("top:1")
    assert [r["Id"] for r in rows] == [top.id, middle.id, base.id]
    assert [r["Tags"] for r in rows] == [["top:1"], None, ["base:1"]]
    assert rows[0]["CreatedBy"] == "add b't'" and rows[0]["Size"] > 0
    env.images.parents.forget(middle.id)  # a chain recorded only in part
    assert [r["Id"] for r in env.images.history("top:1")] == [top.id, middle.id, "<missing>"]


def test_rmi_keeps_parents_of_children_and_prunes_dangling_parents(env: Env) -> None:
    base = env.images.import_tar(tar_of("a", b"base"))
    child = child_of(env, base, b"child", "app", "1")
    for force in (False, True):
        with pytest.raises(Conflict, match=(
            f"conflict: unable to delete {base.id[7:19]} \\(cannot be forced\\) - "
            "image has dependent child images"
        )):
            env.images.remove(base.id, force=force)
    records = env.images.remove("app:1")
    deleted = [r["Deleted"] for r in records if "Deleted" in r]
    assert records[0] == {"Untagged": "app:1"}
    assert child.id in deleted and base.id in deleted  # the dangling parent went too
    assert env.db.list_images() == []

    base = env.images.import_tar(tar_of("a", b"base"))
    child_of(env, base, b"child", "app", "1")
    env.images.remove("app:1", prune=False)  # noprune
    assert ids(env) == [base.id]


def test_rmi_of_a_tagged_parent_untags_and_keeps_it(env: Env) -> None:
    base = env.images.import_tar(tar_of("a", b"base"), "base", "1")
    child_of(env, base, b"child", "app", "1")
    assert env.images.remove("base:1") == [{"Untagged": "base:1"}]
    assert base.id in ids(env, True) and base.id not in ids(env)


def test_reference_filter_narrows_references(env: Env) -> None:
    img = env.images.import_tar(tar_of("a", b"1"), "app", "1")
    env.images.tag("app:1", "other", "2")
    env.images.tag("app:1", "localhost:5000/ns/app", "3")
    digest = "sha256:" + "ab" * 32
    env.db.add_digest(f"docker.io/library/app@{digest}", img.id)

    def refs(*patterns: str) -> list[tuple[list[str], list[str]]]:
        listed = env.images.list(False, {"reference": list(patterns)})
        return [(sorted(i["RepoTags"]), i["RepoDigests"]) for i in listed]

    assert refs("app") == [(["app:1"], [f"app@{digest}"])]
    assert refs("*:2") == [(["other:2"], [])]
    assert refs("app", "other") == [(["app:1", "other:2"], [f"app@{digest}"])]
    assert refs("*/ns/*") == [(["localhost:5000/ns/app:3"], [])]
    assert refs("*") == [(["app:1", "other:2"], [f"app@{digest}"])]  # * stops at a slash
    assert refs("nothing") == []
    with pytest.raises(InvalidParameter, match="syntax error in pattern"):
        env.images.list(False, {"reference": ["app["]})


def test_dangling_label_before_since_until(env: Env) -> None:
    old = env.images.import_tar(tar_of("a", b"1"), "old", "1", ["LABEL tier=web"])
    digest_only = env.images.import_tar(tar_of("a", b"2"))
    env.db.add_digest(f"docker.io/library/d@sha256:{'cd' * 32}", digest_only.id)
    untagged = env.images.import_tar(tar_of("a", b"3"))
    new = env.images.import_tar(tar_of("a", b"4"), "new", "1")
    assert ids(env, dangling=["true"]) == [untagged.id, digest_only.id]
    assert ids(env, dangling=["false"]) == [new.id, digest_only.id, old.id]
    assert ids(env, label=["tier"]) == [old.id] and ids(env, label=["tier=db"]) == []
    assert ids(env, before=["new:1"]) == [untagged.id, digest_only.id, old.id]
    assert ids(env, since=["old:1"]) == [new.id, untagged.id, digest_only.id]
    assert ids(env, until=["1"]) == []
    assert len(ids(env, until=["2999-01-01T00:00:00Z"])) == 4
    with pytest.raises(InvalidParameter, match="invalid filter 'dangling=maybe'"):
        ids(env, dangling=["maybe"])
    with pytest.raises(InvalidParameter, match="invalid filter 'bogus'"):
        ids(env, bogus=["1"])


def test_before_and_since_compare_exact_times(env: Env) -> None:
    """Sub-second and offset times order as times, not as strings."""
    from wharf.services.image_views import unix_nanos

    assert unix_nanos("2024-01-01T00:00:00Z") < unix_nanos("2024-01-01T00:00:00.5Z")  # type: ignore[operator]
    assert unix_nanos("2024-01-01T01:00:00+01:00") == unix_nanos("2024-01-01T00:00:00Z")
    assert unix_nanos("2024-01-01T00:00:00.123456789123Z") == 1_704_067_200_123_456_789


def test_shared_size_counts_layers_other_images_use(env: Env) -> None:
    base = env.images.import_tar(tar_of("a", b"base" * 1000), "base", "1")
    child_of(env, base, b"child", "app", "1")
    alone = env.images.import_tar(tar_of("a", b"alone"), "alone", "1")
    base_size = env.images.store.layer_size(base.chain_ids[0])
    listed = {i["RepoTags"][0]: i for i in env.images.list(False, {}, shared_size=True)}
    assert listed["base:1"]["SharedSize"] == base_size == listed["app:1"]["SharedSize"]
    assert listed["alone:1"]["SharedSize"] == 0
    assert env.images.list(False, {"reference": ["alone"]})[0]["SharedSize"] == -1
    assert alone.id == listed["alone:1"]["Id"]


def test_prune_dangling_then_all(env: Env) -> None:
    base = env.images.import_tar(tar_of("a", b"base"))
    child = child_of(env, base, b"child", "app", "1")
    dangling = env.images.import_tar(tar_of("a", b"dangling"))
    used = env.images.import_tar(tar_of("a", b"used"), "used", "1")
    keep = env.images.import_tar(tar_of("a", b"keep"), "keep", "1", ["LABEL keep=yes"])
    env.users[used.id] = ["c" * 64]
    report = env.images.prune({})
    assert [r["Deleted"] for r in report["ImagesDeleted"] if r["Deleted"].startswith("sha256")
            and r["Deleted"] in (dangling.id, base.id)] == [dangling.id]  # not the parent
    assert report["SpaceReclaimed"] > 0
    report = env.images.prune({"dangling": ["false"], "label!": ["keep"]})
    deleted = [r.get("Deleted") for r in report["ImagesDeleted"]]
    assert {"Untagged": "app:1"} in report["ImagesDeleted"]
    assert child.id in deleted and base.id in deleted  # the child, then its parent
    assert sorted(ids(env)) == sorted([used.id, keep.id])
    assert env.images.prune({"dangling": ["false"], "until": ["1"]}) == {
        "ImagesDeleted": None, "SpaceReclaimed": 0
    }
    with pytest.raises(InvalidParameter, match="invalid filter 'reference'"):
        env.images.prune({"reference": ["x"]})


def test_save_and_load_keep_a_parent_saved_alongside(env: Env, tmp_path: Path) -> None:
    base = env.images.import_tar(tar_of("a", b"base"), "base", "1")
    child = child_of(env, base, b"child", "app", "1")
    data = b"".join(save_images(env.images, ["app:1", "base:1"]))
    manifest = json.loads(tarfile.open(fileobj=io.BytesIO(data)).extractfile(  # noqa: SIM115
        "manifest.json").read())  # type: ignore[union-attr]
    assert [m.get("Parent") for m in manifest] == [base.id, None]
    alone = b"".join(save_images(env.images, ["app:1"]))
    assert "Parent" not in json.loads(tarfile.open(fileobj=io.BytesIO(alone)).extractfile(  # noqa: SIM115
        "manifest.json").read())[0]  # type: ignore[union-attr]
    other, db = make_env(tmp_path / "b")
    try:
        load_images(other.images, io.BytesIO(data))
        assert other.images.inspect("app:1")["Parent"] == base.id
        assert [r["Id"] for r in other.images.history("app:1")] == [child.id, base.id]
    finally:
        db.close()


def test_a_link_from_a_child_gone_another_way_does_not_pin_its_parent(env: Env) -> None:
    base = env.images.import_tar(tar_of("a", b"base"))
    child = child_of(env, base, b"child", "app", "1")
    env.db.delete_image(child.id)  # as a crash or another path might leave it
    assert env.images.parents.children(base.id) == []
    assert env.images.remove(base.id)[0] == {"Deleted": base.id}
