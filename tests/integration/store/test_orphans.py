"""What a kill -9 mid-create (or mid-remove) leaves: container snapshots and directories with
no record. ``RootfsService.remove_orphans`` removes them on both snapshotters, unmounting first
and following no symlink out of the data root (root: mounts)."""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from wharf.core.snapshots import SnapshotterProtocol
from wharf.lib.mount import MS_BIND, mount, mount_points_under, unmount
from wharf.services.rootfs import RootfsService
from wharf.store.snapshots import open_snapshotter

LAYER = "sha256:" + "1" * 64
KNOWN, MOUNTED, HALF_MADE, LINKED = ("a" * 64, "b" * 64, "c" * 64, "d" * 64)


@dataclass(frozen=True)
class Image:
    chain_ids: list[str]


@dataclass
class DataRoot:
    path: Path
    snapshots: SnapshotterProtocol
    rootfs: RootfsService
    outside: Path  # the host's files, which no removal may reach

    @property
    def bundles(self) -> Path:
        return self.path / "containers"

    def snapshot_dir(self, container_id: str) -> Path:
        driver = "overlay" if self.snapshots.name == "overlay2" else "native"
        return self.path / driver / "containers" / container_id


def one_file_layer() -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("etc/os")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"wharf"))
    buf.seek(0)
    return buf


@pytest.fixture(params=["overlay2", "native"])
def data_root(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DataRoot]:
    path = tmp_path / "data"
    snapshots = open_snapshotter(path, request.param)
    snapshots.add_layer(LAYER, None, one_file_layer())
    (path / "containers").mkdir()
    outside = tmp_path / "host"
    outside.mkdir()
    (outside / "sentinel").write_text("keep me")
    try:
        yield DataRoot(path, snapshots, RootfsService(snapshots, tmp_path / "tmp",
                                                      path / "containers"), outside)
    finally:
        for point in mount_points_under(tmp_path):
            unmount(point)


def crash_leftovers(root: DataRoot) -> None:
    """A container with a record, and three without: one mounted, with a volume still bound
    into its directory; one half made; one whose directory is a symlink out of the data root."""
    for container_id in (KNOWN, MOUNTED):
        root.rootfs.create(container_id, Image([LAYER]))
        root.rootfs.mount(container_id)
        (root.bundles / container_id).mkdir()
        (root.bundles / container_id / "config.json").write_text("{}")
    os.symlink(root.snapshot_dir(MOUNTED) / "merged", root.bundles / MOUNTED / "rootfs")
    os.symlink(root.outside, root.bundles / MOUNTED / "escape")
    (root.bundles / MOUNTED / "volume").mkdir()
    mount(str(root.outside), root.bundles / MOUNTED / "volume", "none", MS_BIND)
    (root.snapshot_dir(HALF_MADE) / "upper").mkdir(parents=True)
    (root.bundles / HALF_MADE).mkdir()
    os.symlink(root.outside, root.bundles / LINKED)


def test_orphans_go_and_the_known_container_stays(data_root: DataRoot) -> None:
    crash_leftovers(data_root)
    assert data_root.rootfs.remove_orphans({KNOWN}) == [MOUNTED, HALF_MADE, LINKED]
    assert (data_root.outside / "sentinel").read_text() == "keep me"
    assert data_root.snapshots.containers() == [KNOWN]
    assert [p.name for p in data_root.bundles.iterdir()] == [KNOWN]
    mounted = [p.name for p in mount_points_under(data_root.path)]
    assert mounted == (["merged"] if data_root.snapshots.name == "overlay2" else [])
    assert (data_root.rootfs.mount(KNOWN) / "etc/os").read_text() == "wharf"
    assert data_root.rootfs.remove_orphans({KNOWN}) == []


def test_nothing_is_removed_when_every_container_has_a_record(data_root: DataRoot) -> None:
    crash_leftovers(data_root)
    everyone = {KNOWN, MOUNTED, HALF_MADE, LINKED}
    assert data_root.rootfs.remove_orphans(everyone) == []
    assert sorted(p.name for p in data_root.bundles.iterdir()) == sorted(everyone)
    assert data_root.rootfs.mount(MOUNTED).is_dir()
