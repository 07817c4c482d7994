"""ImageService and RootfsService on a real data root (native snapshotter: no mounts needed)."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from wharf.core.digest import Digest
from wharf.core.errors import Conflict, InvalidParameter, NotFound
from wharf.core.metadata import LayerRecord
from wharf.lib.bootstrap import busybox_rootfs_tar
from wharf.services.images import ImageService
from wharf.services.rootfs import RootfsService
from wharf.store.content import ContentStore
from wharf.store.metadata import MetadataStore
from wharf.store.snapshots import NativeSnapshotter

pytestmark = pytest.mark.root  # unpacking a layer keeps its files' owners (chown)


@dataclass
class Env:
    images: ImageService
    rootfs: RootfsService
    content: ContentStore
    db: MetadataStore
    users: dict[str, list[str]]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    content = ContentStore(tmp_path / "content")
    db = MetadataStore(tmp_path / "metadata.db")
    snaps = NativeSnapshotter(tmp_path / "native")
    users: dict[str, list[str]] = {}
    images = ImageService(content, db, snaps, lambda image_id: users.get(image_id, []))
    yield Env(images, RootfsService(snaps, tmp_path / "tmp"), content, db, users)
    db.close()


@pytest.fixture(scope="module")
def busybox_tar() -> bytes:
    buf = io.BytesIO()
    busybox_rootfs_tar(buf)
    return buf.getvalue()


def small_tar(content: bytes = b"hello") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def test_import_busybox(env: Env, busybox_tar: bytes) -> None:
    img = env.images.import_tar(
        io.BytesIO(busybox_tar), "busybox", "", ['CMD ["sh"]', "ENV A=1 B=two", "EXPOSE 80"]
    )
    assert img.repo_tags == ["busybox:latest"]
    assert img.id == str(Digest.from_bytes(env.content.read_bytes(Digest.parse(img.id), 1 << 20)))
    diff_id = img.config["rootfs"]["diff_ids"][0]
    assert diff_id == str(Digest.from_bytes(busybox_tar))
    assert img.chain_ids == [diff_id]
    assert img.config["config"] == {
        "Cmd": ["sh"],
        "Env": ["A=1", "B=two"],
        "ExposedPorts": {"80/tcp": {}},
    }
    for ref in (
        "busybox",
        "busybox:latest",
        "docker.io/library/busybox:latest",
        img.id,
        img.id[7:],
        img.id[7:19],
        img.id[:19],
    ):
        assert env.images.resolve(ref).id == img.id, ref
    with pytest.raises(NotFound, match="No such image: nothere"):
        env.images.resolve("nothere")
    info = env.images.inspect("busybox")
    assert info["Config"]["Cmd"] == ["sh"] and info["Config"]["Entrypoint"] is None
    assert info["Architecture"] == "amd64" and info["Os"] == "linux"
    assert info["RootFS"] == {"Type": "layers", "Layers": [diff_id]}
    assert info["Comment"] == "Imported from -" and info["Size"] > 1000
    assert info["GraphDriver"]["Name"] == "vfs"
    assert info["Metadata"]["LastTagTime"].endswith("Z")
    history = env.images.history("busybox")
    assert history[0]["Id"] == img.id and history[0]["Comment"] == "Imported from -"
    assert history[0]["Tags"] == ["busybox:latest"] and history[0]["Size"] == info["Size"]


def test_import_compressed_and_rejects(env: Env) -> None:
    img = env.images.import_tar(io.BytesIO(gzip.compress(small_tar())), "", "", [], "msg")
    assert img.repo_tags == [] and img.config["comment"] == "msg"
    with pytest.raises(InvalidParameter, match="is not a valid change command"):
        env.images.import_tar(io.BytesIO(small_tar()), "x", "", ["RUN ls"])
    with pytest.raises(InvalidParameter, match="invalid reference format"):
        env.images.import_tar(io.BytesIO(small_tar()), "Bad:Repo:x", "")
    with pytest.raises(InvalidParameter):
        env.images.import_tar(io.BytesIO(b""), "x", "")


def test_list_and_filters(env: Env) -> None:
    a = env.images.import_tar(io.BytesIO(small_tar(b"a")), "app", "1", ["LABEL tier=web"])
    b = env.images.import_tar(io.BytesIO(small_tar(b"b")), "localhost:5000/x/app", "2")
    c = env.images.import_tar(io.BytesIO(small_tar(b"c")), "", "")

    def ids(**filters: list[str]) -> list[str]:
        return [i["Id"] for i in env.images.list(False, dict(filters))]

    assert ids() == [c.id, b.id, a.id]
    summary = env.images.list(False, {"reference": ["app"]})[0]
    assert summary["RepoTags"] == ["app:1"] and summary["Labels"] == {"tier": "web"}
    assert set(summary) >= {
        "Id",
        "ParentId",
        "RepoTags",
        "RepoDigests",
        "Created",
        "Size",
        "SharedSize",
        "Labels",
        "Containers",
    }
    assert ids(dangling=["true"]) == [c.id]
    assert ids(dangling=["false"]) == [b.id, a.id]
    assert ids(label=["tier=web"]) == [a.id] and ids(label=["tier=db"]) == []
    assert ids(reference=["*/x/*"]) == [b.id] and ids(reference=["app:1"]) == [a.id]
    assert ids(before=[c.id]) == [b.id, a.id] and ids(since=[a.id]) == [c.id, b.id]
    with pytest.raises(InvalidParameter, match="invalid filter 'bogus'"):
        env.images.list(False, {"bogus": ["1"]})
    with pytest.raises(InvalidParameter):
        env.images.list(False, {"dangling": ["maybe"]})


def test_tag_and_remove(env: Env) -> None:
    img = env.images.import_tar(io.BytesIO(small_tar()), "one", "")
    env.images.tag("one", "two", "v2")
    env.images.tag(img.id, "localhost:5000/three")
    assert sorted(env.images.resolve(img.id).repo_tags) == [
        "localhost:5000/three:latest",
        "one:latest",
        "two:v2",
    ]
    with pytest.raises(InvalidParameter):
        env.images.tag("one", "two", "bad tag")
    with pytest.raises(Conflict, match="referenced in multiple repositories"):
        env.images.remove(img.id[7:19])
    assert env.images.remove("two:v2") == [{"Untagged": "two:v2"}]
    env.users[img.id] = ["c" * 64]
    assert env.images.remove("localhost:5000/three") == [
        {"Untagged": "localhost:5000/three:latest"}
    ]
    with pytest.raises(Conflict, match=r'repository reference "one" .* container cccccccccccc'):
        env.images.remove("one")
    with pytest.raises(Conflict, match="being used by stopped container"):
        env.images.remove(img.id)
    assert env.images.remove(img.id[7:19], force=True) == [
        {"Untagged": "one:latest"},
        {"Deleted": img.id},
    ]  # Docker deletes it under its stopped container; the layers stay for the container
    with pytest.raises(NotFound):
        env.images.resolve(img.id)
    assert env.db.list_layers() == img.chain_ids
    env.users.clear()  # the container is removed: its image's layers go
    assert env.images.release_layers() == img.chain_ids
    assert env.db.list_layers() == [] and list(env.content.walk()) == []
    with pytest.raises(NotFound):
        env.images.remove(img.id)


def test_shared_layer_survives_removal(env: Env) -> None:
    a = env.images.import_tar(io.BytesIO(small_tar()), "a", "", ["CMD a"])
    b = env.images.import_tar(io.BytesIO(small_tar()), "b", "", ["CMD b"])
    assert a.id != b.id and a.chain_ids == b.chain_ids
    assert env.images.remove("a") == [{"Untagged": "a:latest"}, {"Deleted": a.id}]
    assert env.db.list_layers() == b.chain_ids


def test_rootfs_lifecycle(env: Env, busybox_tar: bytes) -> None:
    img = env.images.import_tar(io.BytesIO(busybox_tar), "busybox", "")
    cid = "f" * 64
    env.rootfs.create(cid, img)
    root = env.rootfs.mount(cid)
    (root / "etc/motd").write_text("hi")
    (root / "etc/group").unlink()
    assert {"Path": "/etc/motd", "Kind": 1} in env.rootfs.changes(cid)
    assert {"Path": "/etc/group", "Kind": 2} in env.rootfs.changes(cid)
    with tarfile.open(fileobj=io.BytesIO(b"".join(env.rootfs.export(cid)))) as tar:
        names = set(tar.getnames())
    assert "etc/motd" in names and "etc/group" not in names and "bin/busybox" in names
    other = "e" * 64
    env.rootfs.create(other, env.images.resolve("busybox"))
    assert (env.rootfs.mount(other) / "etc/group").exists()
    assert env.rootfs.graph_driver(cid)["Name"] == "vfs"
    env.rootfs.unmount(cid)
    env.rootfs.remove(cid)
    with pytest.raises(NotFound):
        env.rootfs.mount(cid)


def test_collect_garbage_after_a_crash(env: Env, tmp_path: Path) -> None:
    kept = env.images.import_tar(io.BytesIO(small_tar(b"kept")), "kept", "")
    # a crash after unpacking, before (or after) the layer record: no image refers to them
    snaps = NativeSnapshotter(tmp_path / "native")
    orphan = "sha256:" + "0" * 64
    snaps.add_layer(orphan, None, io.BytesIO(small_tar(b"orphan")))
    recorded = "sha256:" + "1" * 64
    snaps.add_layer(recorded, None, io.BytesIO(small_tar(b"recorded")))
    blob = env.content.put_bytes(b"recorded blob")
    env.db.put_layer(LayerRecord(recorded, recorded, "", 1, str(blob), "m"))
    assert sorted(env.images.collect_garbage()) == [orphan, recorded]
    assert snaps.layers() == kept.chain_ids == env.db.list_layers()
    assert not env.content.has(blob)
    assert env.images.resolve("kept").id == kept.id


def test_prune(env: Env) -> None:
    tagged = env.images.import_tar(io.BytesIO(small_tar(b"t")), "tagged", "")
    dangling = env.images.import_tar(io.BytesIO(small_tar(b"d")), "", "")
    used = env.images.import_tar(io.BytesIO(small_tar(b"u")), "", "", ["LABEL keep=1"])
    env.users[used.id] = ["c" * 64]
    result = env.images.prune({})
    assert result["ImagesDeleted"] == [{"Deleted": dangling.id}, {"Deleted": dangling.chain_ids[0]}]
    assert result["SpaceReclaimed"] == 1  # the bytes of the files in its only layer
    assert env.images.prune({}) == {"ImagesDeleted": None, "SpaceReclaimed": 0}
    env.users.clear()
    assert env.images.prune({"dangling": ["false"], "label!": ["keep"]})["ImagesDeleted"][:2] == [
        {"Untagged": "tagged:latest"},
        {"Deleted": tagged.id},
    ]
    assert [i["Id"] for i in env.images.list(False, {})] == [used.id]
    assert env.images.prune({"until": ["1000"]})["ImagesDeleted"] is None
    with pytest.raises(InvalidParameter):
        env.images.prune({"reference": ["x"]})


def test_commit_a_container(env: Env) -> None:
    base = env.images.import_tar(io.BytesIO(small_tar(b"base")), "base", "", ['CMD ["sh"]'])
    cid = "d" * 64
    env.rootfs.create(cid, base)
    root = env.rootfs.mount(cid)
    (root / "new.txt").write_text("committed")
    (root / "hello.txt").unlink()
    diff = io.BytesIO()
    env.rootfs.diff(cid, diff)
    diff.seek(0)
    img = env.images.commit(
        base,
        diff,
        base.config["config"],
        changes=["ENV X=1"],
        comment="snap",
        author="me",
        created_by="sh",
        repo="snap",
        tag="v1",
    )
    assert img.repo_tags == ["snap:v1"] and len(img.chain_ids) == 2
    assert img.chain_ids[0] == base.chain_ids[0]
    assert img.config["config"] == {"Cmd": ["sh"], "Env": ["X=1"]}
    assert [h.get("comment") for h in img.config["history"]] == ["Imported from -", "snap"]
    history = env.images.history("snap:v1")
    assert [h["CreatedBy"] for h in history] == ["sh", ""]
    child = "9" * 64
    env.rootfs.create(child, img)
    view = env.rootfs.mount(child)
    assert (view / "new.txt").read_text() == "committed" and not (view / "hello.txt").exists()
    assert env.images.inspect("snap:v1")["Author"] == "me"
