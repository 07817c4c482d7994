"""Image events, ``rmi`` under containers, prune shapes, compressed imports and size bounds
(ImageService on a real data root with the native snapshotter: no mounts needed)."""

from __future__ import annotations

import asyncio
import bz2
import gzip
import io
import lzma
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import zstandard

from wharf.core.errors import Conflict, InvalidParameter, NotFound
from wharf.services.events import EventBus
from wharf.services.image_archive import load_images, save_images
from wharf.services.images import ImageLimits, ImageService
from wharf.services.rootfs import RootfsService
from wharf.store.content import ContentStore
from wharf.store.metadata import MetadataStore
from wharf.store.snapshots import NativeSnapshotter

pytestmark = pytest.mark.root  # unpacking a layer keeps its files' owners (chown)

CONTAINER = "c" * 64


@dataclass
class Env:
    images: ImageService
    rootfs: RootfsService
    content: ContentStore
    db: MetadataStore
    snaps: NativeSnapshotter
    root: Path
    users: dict[str, list[str]] = field(default_factory=dict)
    running: set[str] = field(default_factory=set)
    events: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def actions(self) -> list[tuple[str, str]]:
        """(action, name attribute) of the events so far, then forget them."""
        out = [(action, attrs.get("name", "")) for action, _, attrs in self.events]
        self.events.clear()
        return out


def make_env(root: Path, limits: ImageLimits | None = None) -> Env:
    content = ContentStore(root / "content")
    db = MetadataStore(root / "metadata.db")
    snaps = NativeSnapshotter(root / "native")
    holder: list[Env] = []
    images = ImageService(
        content,
        db,
        snaps,
        lambda image_id: holder[0].users.get(image_id, []),
        on_event=lambda action, image_id, attrs: holder[0].events.append((action, image_id, attrs)),
        container_running=lambda cid: cid in holder[0].running,
        limits=limits,
    )
    env = Env(images, RootfsService(snaps, root / "tmp"), content, db, snaps, root)
    holder.append(env)
    return env


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    made = make_env(tmp_path)
    yield made
    made.db.close()


def small_tar(content: bytes = b"hello", link: str = "") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
        if link:
            sym = tarfile.TarInfo("link")
            sym.type, sym.linkname = tarfile.SYMTYPE, link
            tar.addfile(sym)
    return buf.getvalue()


def import_image(env: Env, data: bytes, repo: str = "", changes: list[str] | None = None) -> str:
    image_id = env.images.import_tar(io.BytesIO(data), repo, "", changes or []).id
    env.events.clear()
    return image_id


# ---- events ----------------------------------------------------------------------------------


def test_import_tag_untag_delete_events(env: Env) -> None:
    img = env.images.import_tar(io.BytesIO(small_tar()), "app", "1", ["LABEL tier=web"])
    assert env.events == [
        ("tag", img.id, {"tier": "web", "name": "app:1"}),
        ("import", img.id, {"tier": "web", "name": img.id}),
    ]
    env.events.clear()
    env.images.tag("app:1", "localhost:5000/app", "2")
    assert env.actions() == [("tag", "localhost:5000/app:2")]
    assert env.images.remove("app:1") == [{"Untagged": "app:1"}]
    assert env.events == [("untag", img.id, {"tier": "web", "name": img.id})]
    env.events.clear()
    env.images.remove("localhost:5000/app:2")
    assert env.events == [
        ("untag", img.id, {"tier": "web", "name": img.id}),
        ("delete", img.id, {"name": img.id}),  # gone: no labels left to report
    ]


def test_prune_load_save_events(env: Env) -> None:
    dangling = import_image(env, small_tar(b"d"))
    kept = import_image(env, small_tar(b"k"), "kept")
    result = env.images.prune({})
    assert result["ImagesDeleted"][0] == {"Deleted": dangling}
    assert env.events[-1] == ("prune", "", {"reclaimed": str(result["SpaceReclaimed"])})
    assert env.actions()[:-1] == [("delete", dangling)]
    archive = b"".join(save_images(env.images, ["kept"]))
    assert env.actions() == [("save", kept)]
    env.images.remove("kept")
    env.events.clear()
    assert load_images(env.images, io.BytesIO(archive)) == ["Loaded image: kept:latest"]
    assert env.actions() == [("load", kept)]  # docker load reports no tag event


def test_no_sink_no_events(tmp_path: Path) -> None:
    db = MetadataStore(tmp_path / "metadata.db")
    try:
        images = ImageService(
            ContentStore(tmp_path / "content"), db, NativeSnapshotter(tmp_path / "native")
        )
        img = images.import_tar(io.BytesIO(small_tar()), "quiet", "")
        assert images.remove(img.id)[-2:] == [{"Deleted": img.id}, {"Deleted": img.chain_ids[0]}]
    finally:
        db.close()


# ---- rmi ---------------------------------------------------------------------------------------


def test_rmi_force_by_name_deletes_under_a_stopped_container(env: Env) -> None:
    image_id = import_image(env, small_tar(), "app")
    img = env.images.resolve(image_id)
    env.rootfs.create(CONTAINER, img)
    env.users[image_id] = [CONTAINER]
    with pytest.raises(Conflict, match=r'unable to remove repository reference "app" \(must force'):
        env.images.remove("app")
    assert env.images.remove("app", force=True) == [
        {"Untagged": "app:latest"},
        {"Deleted": image_id},
    ]
    assert env.actions() == [("untag", image_id), ("delete", image_id)]
    with pytest.raises(NotFound):
        env.images.resolve(image_id)
    # the container still stands on the image's layers
    assert (env.rootfs.mount(CONTAINER) / "hello.txt").read_bytes() == b"hello"
    assert env.images.prune({})["ImagesDeleted"] is None
    assert env.db.list_layers() == img.chain_ids
    env.rootfs.remove(CONTAINER)
    env.users.clear()
    assert env.images.release_layers() == img.chain_ids
    assert env.db.list_layers() == [] and env.snaps.layers() == []
    assert list(env.content.walk()) == []


def test_rmi_with_a_running_container(env: Env) -> None:
    image_id = import_image(env, small_tar(), "app")
    env.users[image_id] = [CONTAINER]
    env.running.add(CONTAINER)
    with pytest.raises(Conflict) as raised:
        env.images.remove(image_id, force=True)
    assert str(raised.value) == (
        f"conflict: unable to delete {image_id[7:19]} (cannot be forced) - "
        f"image is being used by running container {CONTAINER[:12]}"
    )
    # by name, -f untags and keeps the image (dangling) for its running container
    assert env.images.remove("app", force=True) == [{"Untagged": "app:latest"}]
    assert env.images.resolve(image_id).repo_tags == []
    env.running.clear()
    with pytest.raises(Conflict, match=r"must be forced.*stopped container"):
        env.images.remove(image_id)


def test_rmi_by_short_id_and_by_digest(env: Env) -> None:
    image_id = import_image(env, small_tar(), "app")
    chain = env.images.resolve(image_id).chain_ids
    digest = "sha256:" + "d" * 64
    env.db.add_digest(f"docker.io/library/app@{digest}", image_id)
    assert env.images.resolve(f"app@{digest}").id == image_id
    assert env.images.resolve(f"app@{digest}").repo_digests == [f"app@{digest}"]
    # a tag and a digest of one repository are a "single reference": by id needs no force
    assert env.images.remove(image_id[7:11]) == [
        {"Untagged": "app:latest"},
        {"Untagged": f"app@{digest}"},
        {"Deleted": image_id},
        {"Deleted": chain[0]},
    ]
    assert env.actions() == [("untag", image_id), ("untag", image_id), ("delete", image_id)]


def test_rmi_by_digest_reference_and_orphan_digests(env: Env) -> None:
    image_id = import_image(env, small_tar(), "app")
    env.images.tag("app", "other")
    env.db.add_digest("docker.io/library/app@sha256:" + "e" * 64, image_id)
    assert env.images.remove("app@sha256:" + "e" * 64) == [{"Untagged": "app@sha256:" + "e" * 64}]
    env.db.add_digest("docker.io/library/app@sha256:" + "e" * 64, image_id)
    # the last tag of a repository takes that repository's digests with it
    assert env.images.remove("app") == [
        {"Untagged": "app:latest"},
        {"Untagged": "app@sha256:" + "e" * 64},
    ]
    assert env.images.resolve(image_id).repo_tags == ["other:latest"]


def test_rmi_multiple_repositories_needs_force(env: Env) -> None:
    image_id = import_image(env, small_tar(), "one")
    env.images.tag("one", "two")
    with pytest.raises(Conflict, match=r"\(must be forced\) - image is referenced in multiple"):
        env.images.remove(image_id)
    removed = env.images.remove(image_id[:10], force=True)
    assert removed[:3] == [
        {"Untagged": "one:latest"},
        {"Untagged": "two:latest"},
        {"Deleted": image_id},
    ]


def test_prune_all_shape(env: Env) -> None:
    tagged = import_image(env, small_tar(b"t", link="hello.txt"), "tagged")
    chain = env.images.resolve(tagged).chain_ids
    assert env.images.prune({})["ImagesDeleted"] is None
    result = env.images.prune({"dangling": ["false"]})
    assert result == {
        "ImagesDeleted": [
            {"Untagged": "tagged:latest"},
            {"Deleted": tagged},
            {"Deleted": chain[0]},
        ],
        "SpaceReclaimed": 1 + len("hello.txt"),  # the file and the symlink (its lstat size)
    }


# ---- import and bounds -----------------------------------------------------------------------

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "zstd": lambda data: zstandard.ZstdCompressor().compress(data),
    "xz": lzma.compress,
    "bzip2": bz2.compress,
}


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_import_compressed(env: Env, kind: str) -> None:
    plain = small_tar(kind.encode())
    img = env.images.import_tar(io.BytesIO(COMPRESSORS[kind](plain)), "c", kind)
    reference = env.images.import_tar(io.BytesIO(plain), "plain", kind)
    assert img.config["rootfs"] == reference.config["rootfs"]  # the same uncompressed diff id
    env.rootfs.create(CONTAINER, img)
    assert (env.rootfs.mount(CONTAINER) / "hello.txt").read_bytes() == kind.encode()


def _zeros_bomb(size: int) -> bytes:
    """A tar with one file of ``size`` zero bytes, gzipped (compresses ~1000:1)."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb") as gz, tarfile.open(fileobj=gz, mode="w|") as tar:
        info = tarfile.TarInfo("zeros")
        info.size = size
        tar.addfile(info, io.BytesIO(bytes(size)))
    return out.getvalue()


def test_layer_bound_refuses_a_bomb_and_commits_nothing(tmp_path: Path) -> None:
    env = make_env(tmp_path, ImageLimits(layer_bytes=1 << 20))
    try:
        bomb = _zeros_bomb(4 << 20)
        assert len(bomb) < 64 << 10
        with pytest.raises(InvalidParameter, match="exceeds the limit of 1048576 bytes"):
            env.images.import_tar(io.BytesIO(bomb), "bomb", "")
        assert list(env.content.walk()) == []
        assert list((tmp_path / "content" / "ingest").iterdir()) == []
        assert env.snaps.layers() == [] and list((tmp_path / "native" / "layers").iterdir()) == []
        assert env.db.list_layers() == [] and env.db.list_images() == []
        assert env.db.list_tags() == [] and env.events == []
        # under the bound, the same shape imports
        assert env.images.import_tar(io.BytesIO(_zeros_bomb(512 << 10)), "ok", "").repo_tags
    finally:
        env.db.close()


def test_archive_bound_refuses_a_bomb(tmp_path: Path) -> None:
    env = make_env(tmp_path, ImageLimits(archive_bytes=1 << 20))
    try:
        with pytest.raises(InvalidParameter, match="exceeds the limit"):
            load_images(env.images, io.BytesIO(_zeros_bomb(4 << 20)))
        assert env.db.list_images() == [] and list(env.content.walk()) == []
    finally:
        env.db.close()


def test_events_reach_the_daemon_event_bus_from_worker_threads(tmp_path: Path) -> None:
    """The wiring the daemon uses: worker threads hand events to the loop that owns the bus."""

    async def scenario() -> list[dict[str, object]]:
        bus = EventBus()
        loop = asyncio.get_running_loop()
        db = MetadataStore(tmp_path / "metadata.db")
        images = ImageService(
            ContentStore(tmp_path / "content"),
            db,
            NativeSnapshotter(tmp_path / "native"),
            on_event=lambda action, image_id, attrs: loop.call_soon_threadsafe(
                bus.publish, "image", action, image_id, attrs
            ),
        )
        try:
            img = await asyncio.to_thread(
                images.import_tar, io.BytesIO(small_tar()), "busybox", "1"
            )
            await asyncio.to_thread(images.remove, img.id)
        finally:
            db.close()
        return [event.to_docker() for event in bus.history()]

    messages = asyncio.run(scenario())
    assert [(m["Action"], m["Actor"]["Attributes"]["name"]) for m in messages] == [  # type: ignore[index]
        ("tag", "busybox:1"),
        ("import", messages[1]["id"]),
        ("untag", messages[1]["id"]),
        ("delete", messages[1]["id"]),
    ]
    assert all(m["Type"] == "image" and m["status"] == m["Action"] for m in messages)
