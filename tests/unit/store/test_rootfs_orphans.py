"""``RootfsService.remove_orphans`` on a recording snapshotter and plain directories (any user);
the real snapshotters, with mounts, are in tests/integration/store/test_orphans.py."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from wharf.services.rootfs import RootfsService

KNOWN, ORPHAN, STUCK, DIR_ONLY = ("k" * 64, "o" * 64, "s" * 64, "d" * 64)


class RecordingSnapshots:
    """Container snapshots by id; removing ``STUCK`` fails as a busy mount would."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = set(ids)
        self.removed: list[str] = []

    def containers(self) -> list[str]:
        return sorted(self.ids)

    def remove_container(self, container_id: str) -> None:
        if container_id == STUCK:
            raise OSError(16, "Device or resource busy")
        self.removed.append(container_id)
        self.ids.discard(container_id)


def test_only_containers_without_a_record_go(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    snapshots = RecordingSnapshots([KNOWN, ORPHAN, STUCK])
    bundles = tmp_path / "containers"
    for cid in (KNOWN, ORPHAN, STUCK, DIR_ONLY):
        (bundles / cid).mkdir(parents=True)
        (bundles / cid / "config.json").write_text("{}")
    rootfs = RootfsService(snapshots, tmp_path / "tmp", bundles)  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING):
        assert rootfs.remove_orphans({KNOWN}) == sorted([ORPHAN, DIR_ONLY])
    assert sorted(snapshots.removed) == sorted([ORPHAN, DIR_ONLY])  # a dir alone: asked too
    assert sorted(p.name for p in bundles.iterdir()) == sorted([KNOWN, STUCK])
    assert f"leftovers of container {STUCK} stay" in caplog.text  # kept for the next start
    assert rootfs.remove_orphans({KNOWN, STUCK}) == []


def test_a_symlinked_entry_is_unlinked_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "host"
    outside.mkdir()
    (outside / "sentinel").write_text("keep me")
    bundles = tmp_path / "containers"
    bundles.mkdir()
    os.symlink(outside, bundles / ORPHAN)
    rootfs = RootfsService(RecordingSnapshots([]), tmp_path / "tmp", bundles)  # type: ignore[arg-type]
    assert rootfs.remove_orphans(set()) == [ORPHAN]
    assert list(bundles.iterdir()) == [] and (outside / "sentinel").exists()


def test_without_a_bundles_dir_only_snapshots_are_swept(tmp_path: Path) -> None:
    snapshots = RecordingSnapshots([KNOWN, ORPHAN])
    rootfs = RootfsService(snapshots, tmp_path / "tmp")  # type: ignore[arg-type]
    assert rootfs.remove_orphans({KNOWN}) == [ORPHAN]
