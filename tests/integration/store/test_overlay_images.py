"""Images and container filesystems on overlayfs with a real busybox image (needs root)."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from wharf.core.metadata import ContainerRow
from wharf.lib.bootstrap import busybox_rootfs_tar
from wharf.lib.mount import is_mountpoint
from wharf.services.images import ImageService
from wharf.services.rootfs import RootfsService
from wharf.store.content import ContentStore
from wharf.store.metadata import MetadataStore
from wharf.store.snapshots import open_snapshotter


@pytest.fixture
def services(tmp_path: Path) -> Iterator[tuple[ImageService, RootfsService]]:
    db = MetadataStore(tmp_path / "metadata.db")
    snaps = open_snapshotter(tmp_path)
    assert snaps.name == "overlay2"
    rootfs = RootfsService(snaps, tmp_path / "tmp")
    made: list[str] = []
    original = rootfs.create

    def create(container_id: str, image: object) -> None:
        made.append(container_id)
        original(container_id, image)  # type: ignore[arg-type]

    rootfs.create = create  # type: ignore[method-assign]
    try:
        content = ContentStore(tmp_path / "content")
        images = ImageService(content, db, snaps, db.containers_using_image)
        yield images, rootfs
    finally:
        for cid in made:
            rootfs.remove(cid)
        db.close()


def test_busybox_container_filesystem(services: tuple[ImageService, RootfsService]) -> None:
    images, rootfs = services
    buf = io.BytesIO()
    busybox_rootfs_tar(buf)
    image = images.import_tar(io.BytesIO(buf.getvalue()), "busybox", "", ['CMD ["sh"]'])
    info = images.inspect("busybox")
    assert info["GraphDriver"]["Name"] == "overlay2"
    assert Path(info["GraphDriver"]["Data"]["UpperDir"], "bin/busybox").is_file()

    cid = "a" * 64
    rootfs.create(cid, image)
    root = rootfs.mount(cid)
    assert is_mountpoint(root) and rootfs.mount(cid) == root
    out = subprocess.run(
        ["chroot", str(root), "/bin/sh", "-c", "echo hi > /tmp/x; rm /etc/group; cat /tmp/x"],
        capture_output=True,
        check=True,
        timeout=30,
    )
    assert out.stdout == b"hi\n"
    changes = rootfs.changes(cid)
    assert {"Path": "/tmp/x", "Kind": 1} in changes
    assert {"Path": "/etc/group", "Kind": 2} in changes
    assert {"Path": "/etc", "Kind": 0} in changes
    with tarfile.open(fileobj=io.BytesIO(b"".join(rootfs.export(cid)))) as tar:
        names = set(tar.getnames())
    assert "tmp/x" in names and "etc/group" not in names

    other = "b" * 64
    rootfs.create(other, images.resolve("busybox"))
    assert (rootfs.mount(other) / "etc/group").exists()  # the image never changed
    assert not (rootfs.mount(other) / "tmp/x").exists()
    gd = rootfs.graph_driver(cid)["Data"]
    assert gd["MergedDir"] == str(root) and Path(gd["UpperDir"], "tmp/x").exists()

    diff = io.BytesIO()
    rootfs.diff(cid, diff)
    diff.seek(0)
    committed = images.commit(image, diff, image.config["config"], repo="snap", comment="c")
    third = "c" * 64
    rootfs.create(third, committed)
    view = rootfs.mount(third)
    assert (view / "tmp/x").read_text() == "hi\n" and not (view / "etc/group").exists()
    assert rootfs.changes(third) == []

    rootfs.unmount(cid)
    assert not is_mountpoint(root)
    exported = b"".join(rootfs.export(cid))  # mounts for the walk only
    assert b"hi\n" in exported and not is_mountpoint(root)
    rootfs.remove(cid)
    assert not root.exists()


def test_rmi_force_keeps_the_layers_of_a_stopped_container(
    services: tuple[ImageService, RootfsService], tmp_path: Path
) -> None:
    images, rootfs = services
    buf = io.BytesIO()
    busybox_rootfs_tar(buf)
    img = images.import_tar(io.BytesIO(buf.getvalue()), "busybox", "")
    cid = os.urandom(32).hex()
    rootfs.create(cid, img)
    db = images.store.db
    db.put_container(ContainerRow(cid, f"/held-{cid[:8]}", img.id, "", "{}"))
    removed = images.remove("busybox", force=True)
    assert removed == [{"Untagged": "busybox:latest"}, {"Deleted": img.id}]
    merged = rootfs.mount(cid)  # the overlay still stands on the deleted image's layers
    assert (merged / "bin/busybox").is_file()
    rootfs.unmount(cid)
    rootfs.remove(cid)
    db.delete_container(cid)
    assert images.release_layers() == img.chain_ids
    assert list((tmp_path / "overlay" / "layers").iterdir()) == []
