"""docker save / docker load: Docker 25's archive format, older archives, OCI layouts, hostile
archives, and skopeo reading what wharf writes and writing what wharf reads."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zstandard
from tests.support.oci_layout import layer_tar as tar_of

from wharf.core.errors import InvalidParameter, NotFound
from wharf.services.image_archive import load_images, save_images
from wharf.services.images import ImageService
from wharf.store.content import ContentStore
from wharf.store.metadata import MetadataStore
from wharf.store.snapshots import NativeSnapshotter

pytestmark = pytest.mark.root  # unpacking a layer keeps its files' owners (chown)

SKOPEO = shutil.which("skopeo")
needs_skopeo = pytest.mark.skipif(SKOPEO is None, reason="skopeo is not installed")


@pytest.fixture
def images(tmp_path: Path) -> Iterator[ImageService]:
    db = MetadataStore(tmp_path / "metadata.db")
    (tmp_path / "tmp").mkdir()
    yield ImageService(
        ContentStore(tmp_path / "content"),
        db,
        NativeSnapshotter(tmp_path / "native"),
        scratch_dir=tmp_path / "tmp",
    )
    db.close()


def layer_tar(name: str, data: bytes) -> bytes:
    return tar_of({name: data})


def archive(files: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    return tar_of(files, symlinks)


def members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {
            m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isreg()
        }


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def config_for(diff_ids: list[str], **extra: Any) -> bytes:
    doc = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "created": "2024-01-01T00:00:00Z",
        **extra,
    }
    return json.dumps(doc).encode()


def two_layer_image(images: ImageService) -> str:
    base = images.import_tar(io.BytesIO(layer_tar("etc/base", b"base")), "app", "v1")
    top = images.commit(base, io.BytesIO(layer_tar("etc/top", b"top")), {"Cmd": ["top"]},
                        repo="app", tag="v2")
    return top.id


# ---- save ------------------------------------------------------------------------------------


def test_save_writes_dockers_archive_with_uncompressed_layers(images: ImageService) -> None:
    image_id = two_layer_image(images)
    files = members(b"".join(save_images(images, ["app:v2"])))
    legacy = json.loads(files["manifest.json"])
    config = json.loads(files[f"blobs/sha256/{image_id[7:]}"])
    diff_ids = config["rootfs"]["diff_ids"]
    assert legacy == [
        {
            "Config": f"blobs/sha256/{image_id[7:]}",
            "RepoTags": ["app:v2"],
            "Layers": [f"blobs/sha256/{d[7:]}" for d in diff_ids],
        }
    ]
    for diff_id in diff_ids:  # each layer is the plain tar its diff id names
        assert sha(files[f"blobs/sha256/{diff_id[7:]}"]) == diff_id
    assert json.loads(files["repositories"]) == {"app": {"v2": diff_ids[-1][7:]}}
    assert json.loads(files["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads(files["index.json"])
    [descriptor] = index["manifests"]
    assert descriptor["annotations"] == {
        "io.containerd.image.name": "docker.io/library/app:v2",
        "org.opencontainers.image.ref.name": "v2",
    }
    manifest_bytes = files[f"blobs/sha256/{descriptor['digest'][7:]}"]
    assert sha(manifest_bytes) == descriptor["digest"]
    assert len(manifest_bytes) == descriptor["size"]
    manifest = json.loads(manifest_bytes)
    assert manifest["config"]["digest"] == image_id
    assert [(x["mediaType"], x["digest"]) for x in manifest["layers"]] == [
        ("application/vnd.oci.image.layer.v1.tar", d) for d in diff_ids
    ]


def test_save_follows_mobys_tag_rules(images: ImageService) -> None:
    image_id = two_layer_image(images)
    images.tag("app:v2", "app", "also")
    images.tag("app:v2", "other", "x")

    def saved_tags(*names: str) -> list[Any]:
        files = members(b"".join(save_images(images, list(names))))
        return [entry["RepoTags"] for entry in json.loads(files["manifest.json"])]

    assert saved_tags("app:also") == [["app:also"]]
    assert sorted(saved_tags("app")[0] + saved_tags("app")[1]) == ["app:also", "app:v1", "app:v2"]
    assert saved_tags(image_id) == [None]  # by id: no tag, as docker
    assert saved_tags(image_id[7:19]) == [None]
    assert saved_tags("app:v2", "other:x") == [["app:v2", "other:x"]]
    digested = images.import_tar(io.BytesIO(layer_tar("d", b"d")))
    images.store.db.add_digest(f"docker.io/library/pinned@sha256:{'ab' * 32}", digested.id)
    assert saved_tags("pinned") == [None]  # a repository known by digest only
    with pytest.raises(NotFound):
        save_images(images, ["missing:tag"])


def test_save_refuses_a_corrupt_layer_instead_of_writing_it(
    images: ImageService, tmp_path: Path
) -> None:
    image = images.import_tar(io.BytesIO(layer_tar("a", b"1")), "app", "v1")
    layer = images.store.db.get_layer(image.chain_ids[0])
    assert layer is not None
    blob_path = next((tmp_path / "content").rglob(layer.blob_digest[7:]))
    blob_path.chmod(0o644)
    blob_path.write_bytes(gzip.compress(layer_tar("a", b"2")))
    with pytest.raises(Exception, match="corrupt"):
        save_images(images, ["app:v1"])


# ---- load ------------------------------------------------------------------------------------


def test_save_then_load_restores_the_same_images(images: ImageService) -> None:
    image_id = two_layer_image(images)
    data = b"".join(save_images(images, ["app"]))
    for ref in ("app:v1", "app:v2"):
        images.remove(ref)
    assert images.list(False, {}) == []
    lines = load_images(images, io.BytesIO(gzip.compress(data)))
    assert sorted(lines) == ["Loaded image: app:v1", "Loaded image: app:v2"]
    loaded = images.resolve("app:v2")
    assert loaded.id == image_id and loaded.config["config"]["Cmd"] == ["top"]
    by_id = b"".join(save_images(images, [image_id]))
    assert load_images(images, io.BytesIO(by_id)) == [f"Loaded image ID: {image_id}"]


def test_load_moves_a_tag_and_says_so(images: ImageService) -> None:
    first = images.import_tar(io.BytesIO(layer_tar("a", b"1")), "app", "v1")
    data = b"".join(save_images(images, ["app:v1"]))
    images.remove("app:v1")
    second = images.import_tar(io.BytesIO(layer_tar("a", b"2")), "app", "v1")
    assert load_images(images, io.BytesIO(data)) == [
        f"The image app:v1 already exists, renaming the old one with ID {second.id} "
        "to empty string",
        "Loaded image: app:v1",
    ]
    assert images.resolve("app:v1").id == first.id
    assert images.resolve(second.id).repo_tags == []


def test_load_docker_legacy_archive_with_linked_layers(images: ImageService) -> None:
    base, top = layer_tar("etc/os", b"base"), layer_tar("etc/os", b"top")
    diff_ids = [sha(base), sha(top), sha(base)]
    config = config_for(diff_ids)
    config_hex = hashlib.sha256(config).hexdigest()
    manifest = [
        {
            "Config": f"{config_hex}.json",
            "RepoTags": ["legacy:1", "legacy:latest"],
            "Layers": ["l1/layer.tar", "l2/layer.tar", "l3/layer.tar"],
        }
    ]
    data = archive(
        {
            "manifest.json": json.dumps(manifest).encode(),
            f"{config_hex}.json": config,
            "l1/layer.tar": base,
            "l2/layer.tar": gzip.compress(top),
        },
        {"l3/layer.tar": "../l1/layer.tar"},  # docker < 25 linked a repeated layer
    )
    assert load_images(images, io.BytesIO(data)) == [
        "Loaded image: legacy:1",
        "Loaded image: legacy:latest",
    ]
    img = images.resolve("legacy")
    assert img.id == f"sha256:{config_hex}" and len(img.chain_ids) == 3


def oci_layout(layers: list[bytes], annotations: dict[str, str], nested: bool = False,
               platform: dict[str, str] | None = None, zstd: bool = False) -> dict[str, bytes]:
    """An OCI image layout's files (gzip or zstd layers), optionally behind a nested index."""
    compressed = [
        zstandard.ZstdCompressor().compress(layer) if zstd else gzip.compress(layer, mtime=0)
        for layer in layers
    ]
    layer_type = f"application/vnd.oci.image.layer.v1.tar+{'zstd' if zstd else 'gzip'}"
    config = config_for([sha(layer) for layer in layers])
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": sha(config), "size": len(config)},
            "layers": [
                {"mediaType": layer_type, "digest": sha(blob), "size": len(blob)}
                for blob in compressed
            ],
        }
    ).encode()
    files = {f"blobs/sha256/{sha(b)[7:]}": b for b in [config, manifest, *compressed]}
    top: dict[str, Any] = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "digest": sha(manifest), "size": len(manifest)}
    if nested:
        inner = json.dumps(
            {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{**top, "platform": platform or {"architecture": "amd64",
                                                            "os": "linux"}}]}
        ).encode()
        files[f"blobs/sha256/{sha(inner)[7:]}"] = inner
        top = {"mediaType": "application/vnd.oci.image.index.v1+json",
               "digest": sha(inner), "size": len(inner)}
    index = {"schemaVersion": 2, "manifests": [{**top, "annotations": annotations}]}
    files["index.json"] = json.dumps(index).encode()
    files["oci-layout"] = b'{"imageLayoutVersion": "1.0.0"}'
    return files


def test_load_oci_layout_names_and_nested_index(images: ImageService) -> None:
    layers = [layer_tar("a", b"1"), layer_tar("b", b"2")]
    named = oci_layout(layers, {"io.containerd.image.name": "example.com/ns/app:7"})
    assert load_images(images, io.BytesIO(archive(named))) == [
        "Loaded image: example.com/ns/app:7"
    ]
    by_ref = oci_layout(layers, {"org.opencontainers.image.ref.name": "app:8"}, nested=True)
    assert load_images(images, io.BytesIO(archive(by_ref))) == ["Loaded image: app:8"]
    bare = oci_layout(layers, {"org.opencontainers.image.ref.name": "latest"})
    [line] = load_images(images, io.BytesIO(archive(bare)))
    assert line.startswith("Loaded image ID: sha256:")
    assert images.resolve("app:8").id == images.resolve("example.com/ns/app:7").id


def test_load_oci_layout_with_zstd_layers_then_save_plain_tars(images: ImageService) -> None:
    layers = [layer_tar("a", b"1" * 1000), layer_tar("b", b"2")]
    files = oci_layout(layers, {"io.containerd.image.name": "docker.io/library/z:1"}, zstd=True)
    assert load_images(images, io.BytesIO(archive(files))) == ["Loaded image: z:1"]
    saved = members(b"".join(save_images(images, ["z:1"])))
    assert [saved[f"blobs/sha256/{sha(layer)[7:]}"] for layer in layers] == layers


def test_load_oci_layout_verifies_every_blob(images: ImageService) -> None:
    layers = [layer_tar("a", b"1")]
    files = oci_layout(layers, {"org.opencontainers.image.ref.name": "app:1"})
    manifest_name = next(n for n, d in files.items() if b'"layers"' in d)
    layer_name = next(n for n in files if n.startswith("blobs/") and files[n][:2] == b"\x1f\x8b")
    tampered = dict(files)
    tampered[layer_name] = gzip.compress(layer_tar("a", b"1"), mtime=1)  # same tar, other bytes
    with pytest.raises(InvalidParameter, match="does not match its descriptor"):
        load_images(images, io.BytesIO(archive(tampered)))
    bad_manifest = dict(files)
    bad_manifest[manifest_name] = files[manifest_name] + b" "
    with pytest.raises(InvalidParameter, match="does not match its descriptor"):
        load_images(images, io.BytesIO(archive(bad_manifest)))
    other = oci_layout(layers, {}, nested=True, platform={"architecture": "s390x", "os": "linux"})
    with pytest.raises(InvalidParameter, match="no image for linux/amd64"):
        load_images(images, io.BytesIO(archive(other)))
    assert images.list(False, {}) == []
    assert images.store.db.list_layers() == []


def test_load_rejects_bad_archives(images: ImageService) -> None:
    with pytest.raises(InvalidParameter, match=r"no manifest\.json"):
        load_images(images, io.BytesIO(archive({}, {"manifest.json": "/etc/passwd"})))
    with pytest.raises(InvalidParameter, match=r"no manifest\.json"):
        escape = {"manifest.json": "../../etc/passwd"}
        load_images(images, io.BytesIO(archive({}, escape)))
    layer = layer_tar("x", b"x")
    config = config_for(["sha256:" + "0" * 64])
    manifest = [{"Config": "c.json", "RepoTags": ["bad:1"], "Layers": ["l.tar"]}]
    data = archive({"manifest.json": json.dumps(manifest).encode(), "c.json": config,
                    "l.tar": layer})
    with pytest.raises(InvalidParameter, match="invalid diffID for layer 0"):
        load_images(images, io.BytesIO(data))
    assert images.store.db.list_layers() == [] and images.list(False, {}) == []
    assert list(images.store.content.walk()) == []  # the ingested blob went too
    short = [{"Config": "c.json", "RepoTags": ["bad:1"], "Layers": []}]
    with pytest.raises(InvalidParameter, match="layers length mismatch: expected 0, got 1"):
        load_images(images, io.BytesIO(archive({"manifest.json": json.dumps(short).encode(),
                                                "c.json": config})))
    missing = archive({"manifest.json": json.dumps(manifest).encode()})
    with pytest.raises(InvalidParameter, match=r"c\.json is missing"):
        load_images(images, io.BytesIO(missing))
    bad_tag = [{"Config": "c.json", "RepoTags": ["Bad:1"], "Layers": ["l.tar"]}]
    with pytest.raises(InvalidParameter, match="invalid reference format"):
        load_images(images, io.BytesIO(archive({"manifest.json": json.dumps(bad_tag).encode()})))
    old = archive({"repositories": b"{}", "abc/json": b"{}"})
    with pytest.raises(InvalidParameter, match=r"before 1\.10"):
        load_images(images, io.BytesIO(old))
    with pytest.raises(InvalidParameter):
        load_images(images, io.BytesIO(b"not a tar at all" * 64))


def test_load_reports_layer_progress(images: ImageService) -> None:
    images.import_tar(io.BytesIO(layer_tar("a", b"1" * 5000)), "app", "v1")
    data = b"".join(save_images(images, ["app:v1"]))
    images.remove("app:v1")
    seen: list[dict[str, Any]] = []
    load_images(images, io.BytesIO(data), seen.append)
    assert seen and {m["status"] for m in seen} == {"Loading layer"}
    last = seen[-1]["progressDetail"]
    assert last["current"] == last["total"] > 5000
    assert len(seen[-1]["id"]) == 12


# ---- skopeo ----------------------------------------------------------------------------------


def skopeo(*args: str) -> str:
    assert SKOPEO is not None
    res = subprocess.run([SKOPEO, "--insecure-policy", *args], capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr.decode()
    return res.stdout.decode()


@needs_skopeo
def test_skopeo_reads_what_save_wrote(images: ImageService, tmp_path: Path) -> None:
    image_id = two_layer_image(images)
    saved = tmp_path / "saved.tar"
    saved.write_bytes(b"".join(save_images(images, ["app:v2"])))
    inspected = json.loads(skopeo("inspect", f"docker-archive:{saved}"))
    diff_ids = images.resolve(image_id).config["rootfs"]["diff_ids"]  # type: ignore[index]
    assert inspected["Layers"] == diff_ids and inspected["RepoTags"] == []
    config = json.loads(skopeo("inspect", "--config", f"docker-archive:{saved}"))
    assert config["config"]["Cmd"] == ["top"]
    oci = json.loads(skopeo("inspect", "--raw", f"oci-archive:{saved}"))  # the OCI view too
    assert oci["config"]["digest"] == image_id
    # and back: skopeo's copy of it loads into the same image
    copied = tmp_path / "copied.tar"
    skopeo("copy", f"docker-archive:{saved}", f"docker-archive:{copied}:copy/app:v9")
    assert load_images(images, io.BytesIO(copied.read_bytes())) == ["Loaded image: copy/app:v9"]
    assert images.resolve("copy/app:v9").id == image_id


@needs_skopeo
def test_load_what_skopeo_wrote_from_an_oci_layout(images: ImageService, tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    files = oci_layout([layer_tar("a", b"1"), layer_tar("b", b"2" * 3000)],
                       {"org.opencontainers.image.ref.name": "src"})
    for name, data in files.items():
        (layout / name).parent.mkdir(parents=True, exist_ok=True)
        (layout / name).write_bytes(data)
    docker_archive, oci_archive = tmp_path / "d.tar", tmp_path / "o.tar"
    skopeo("copy", f"oci:{layout}:src", f"docker-archive:{docker_archive}:skopeo/img:1")
    skopeo("copy", f"oci:{layout}:src", f"oci-archive:{oci_archive}:skopeo/img:2")
    config_id = sha(next(d for d in files.values() if b'"rootfs"' in d))
    assert load_images(images, io.BytesIO(docker_archive.read_bytes())) == [
        "Loaded image: skopeo/img:1"
    ]
    assert load_images(images, io.BytesIO(oci_archive.read_bytes())) == [
        "Loaded image: skopeo/img:2"
    ]
    assert images.resolve("skopeo/img:1").id == images.resolve("skopeo/img:2").id == config_id


def test_a_failed_load_leaves_no_layer_behind(images: ImageService) -> None:
    good, bad = layer_tar("a", b"good"), layer_tar("b", b"bad")
    config = config_for([sha(good), "sha256:" + "1" * 64])
    manifest = [{"Config": "c.json", "RepoTags": ["half:1"], "Layers": ["1.tar", "2.tar"]}]
    data = archive({"manifest.json": json.dumps(manifest).encode(), "c.json": config,
                    "1.tar": good, "2.tar": bad})
    seen: list[dict[str, Any]] = []
    with pytest.raises(InvalidParameter, match="invalid diffID for layer 1"):
        load_images(images, io.BytesIO(data), seen.append)
    assert seen  # the first layer had gone in (and reported progress) before the error
    assert images.store.db.list_layers() == [] and list(images.store.content.walk()) == []
    assert images.store.snapshots.layers() == []


def test_load_reads_layers_without_holding_the_image_lock(images: ImageService) -> None:
    """A big load must not stall tag/rmi/pull: layers are read and checked outside the lock."""
    import threading

    images.import_tar(io.BytesIO(layer_tar("a", b"1" * 3_000_000)), "app", "v1")
    data = b"".join(save_images(images, ["app:v1"]))
    images.remove("app:v1")
    free_while_reading: list[bool] = []

    def try_lock(got: list[bool]) -> None:
        got.append(images.store.lock.acquire(timeout=5))
        if got[-1]:
            images.store.lock.release()

    def probe(message: dict[str, Any]) -> None:
        got: list[bool] = []
        other = threading.Thread(target=try_lock, args=(got,))
        other.start()
        other.join()
        free_while_reading.append(got[0])

    assert load_images(images, io.BytesIO(data), probe) == ["Loaded image: app:v1"]
    assert free_while_reading and all(free_while_reading)


def test_save_survives_the_image_being_removed_meanwhile(
    images: ImageService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wharf.services import image_archive

    image = images.import_tar(io.BytesIO(layer_tar("a", b"kept")), "app", "v1")
    original = image_archive._TarSpool.directory
    removed: list[object] = []

    def remove_then_write(self: image_archive._TarSpool, name: str) -> None:
        if not removed:  # the first thing written, after the blobs were opened
            removed.append(images.remove("app:v1", force=True))
            assert images.store.db.list_layers() == []
        original(self, name)

    monkeypatch.setattr(image_archive._TarSpool, "directory", remove_then_write)
    files = members(b"".join(save_images(images, ["app:v1"])))
    diff_id = image.config["rootfs"]["diff_ids"][0]  # type: ignore[index]
    assert removed and sha(files[f"blobs/sha256/{diff_id[7:]}"]) == diff_id


def test_the_oci_half_of_a_saved_archive_loads_on_its_own(images: ImageService) -> None:
    """What save writes is a complete OCI layout too: without manifest.json, index.json and
    its annotations alone bring back the same image and tags."""
    image_id = two_layer_image(images)
    files = members(b"".join(save_images(images, ["app"])))
    del files["manifest.json"], files["repositories"]
    for ref in ("app:v1", "app:v2"):
        images.remove(ref)
    assert sorted(load_images(images, io.BytesIO(archive(files)))) == [
        "Loaded image: app:v1", "Loaded image: app:v2"
    ]
    assert images.resolve("app:v2").id == image_id
