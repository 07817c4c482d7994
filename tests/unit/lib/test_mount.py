"""``remove_tree`` without mounts (any user): symlinks are removed, never followed."""

from __future__ import annotations

import os
from pathlib import Path

from wharf.lib.mount import mount_points_under, remove_tree


def outside_with_sentinel(tmp_path: Path) -> Path:
    outside = tmp_path / "host"
    outside.mkdir()
    (outside / "sentinel").write_text("keep me")
    return outside


def test_symlinks_inside_are_removed_not_followed(tmp_path: Path) -> None:
    outside = outside_with_sentinel(tmp_path)
    tree = tmp_path / "tree"
    (tree / "deep/er").mkdir(parents=True)
    (tree / "deep/er/file").write_text("x")
    os.symlink(outside, tree / "to-dir")
    os.symlink(outside / "sentinel", tree / "deep/to-file")
    os.symlink("../../../host", tree / "deep/er/relative")
    remove_tree(tree)
    assert not tree.exists()
    assert (outside / "sentinel").read_text() == "keep me"


def test_a_symlink_at_the_top_is_unlinked_only(tmp_path: Path) -> None:
    outside = outside_with_sentinel(tmp_path)
    link = tmp_path / "link"
    os.symlink(outside, link)
    remove_tree(link)
    assert not link.is_symlink() and (outside / "sentinel").exists()


def test_missing_is_fine_and_a_file_is_unlinked(tmp_path: Path) -> None:
    remove_tree(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    remove_tree(tmp_path / "file")
    assert not (tmp_path / "file").exists()


def test_mount_points_under_matches_whole_components(tmp_path: Path) -> None:
    assert mount_points_under(tmp_path) == []
    assert Path("/proc") in mount_points_under(Path("/proc"))
    assert Path("/proc") not in mount_points_under(Path("/pro"))
