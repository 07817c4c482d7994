"""docker save / docker load round trips and hostile archives."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from wharf.core.errors import InvalidParameter
from wharf.services.image_archive import load_images, save_images
from wharf.services.images import ImageService
from wharf.store.content import ContentStore
from wharf.store.metadata import MetadataStore
from wharf.store.snapshots import NativeSnapshotter

pytestmark = pytest.mark.root  # unpacking a layer keeps its files' owners (chown)


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
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def archive(files: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buf.getvalue()


def test_save_then_load_restores_the_same_image(images: ImageService) -> None:
    img = images.import_tar(io.BytesIO(layer_tar("a", b"1")), "app", "v1", ['CMD ["a"]'])
    images.tag("app:v1", "other")
    data = b"".join(save_images(images, ["app:v1"]))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = set(tar.getnames())
        index = json.load(tar.extractfile("index.json"))  # type: ignore[arg-type]
        legacy = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert {"oci-layout", "index.json", "manifest.json", f"blobs/sha256/{img.id[7:]}"} <= names
    assert index["manifests"][0]["annotations"]["io.containerd.image.name"] == (
        "docker.io/library/app:v1"
    )
    assert legacy[0]["RepoTags"] == ["app:v1"]
    images.remove("other")
    images.remove("app:v1")
    assert images.list(False, {}) == []
    assert load_images(images, io.BytesIO(gzip.compress(data))) == ["Loaded image: app:v1"]
    loaded = images.resolve("app:v1")
    assert loaded.id == img.id and loaded.config["config"]["Cmd"] == ["a"]
    all_tags = b"".join(save_images(images, [img.id[7:19]]))
    assert load_images(images, io.BytesIO(all_tags)) == ["Loaded image: app:v1"]


def test_load_docker_legacy_archive_with_two_layers(images: ImageService) -> None:
    base, top = layer_tar("etc/os", b"base"), layer_tar("etc/os", b"top")
    diff_ids = [f"sha256:{hashlib.sha256(t).hexdigest()}" for t in (base, top)]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "created": "2024-01-01T00:00:00Z",
        }
    ).encode()
    config_hex = hashlib.sha256(config).hexdigest()
    manifest = [
        {
            "Config": f"{config_hex}.json",
            "RepoTags": ["legacy:1", "legacy:latest"],
            "Layers": ["l1/layer.tar", "l2/layer.tar"],
        }
    ]
    data = archive(
        {
            "manifest.json": json.dumps(manifest).encode(),
            f"{config_hex}.json": config,
            "l1/layer.tar": base,
            "l2/layer.tar": top,
        }
    )
    assert load_images(images, io.BytesIO(data)) == [
        "Loaded image: legacy:1\nLoaded image: legacy:latest"
    ]
    img = images.resolve("legacy")
    assert img.id == f"sha256:{config_hex}" and len(img.chain_ids) == 2
    assert images.resolve("legacy:1").id == img.id


def test_load_rejects_bad_archives(images: ImageService) -> None:
    with pytest.raises(InvalidParameter, match=r"no manifest\.json"):
        load_images(images, io.BytesIO(archive({}, {"manifest.json": "/etc/passwd"})))
    layer = layer_tar("x", b"x")
    config = json.dumps({"rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]}})
    manifest = [{"Config": "c.json", "RepoTags": ["bad:1"], "Layers": ["l.tar"]}]
    data = archive(
        {"manifest.json": json.dumps(manifest).encode(), "c.json": config.encode(), "l.tar": layer}
    )
    with pytest.raises(InvalidParameter, match="diff ids do not match"):
        load_images(images, io.BytesIO(data))
    missing = archive({"manifest.json": json.dumps(manifest).encode()})
    with pytest.raises(InvalidParameter, match=r"c\.json is missing"):
        load_images(images, io.BytesIO(missing))
    with pytest.raises(InvalidParameter):
        load_images(images, io.BytesIO(b"not a tar at all" * 64))
