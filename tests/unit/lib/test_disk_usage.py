"""Tree sizes as Docker counts a writable layer."""

from __future__ import annotations

import os
from pathlib import Path

from wharf.lib.disk_usage import files_size, tree_size


def test_tree_size_counts_files_and_symlinks_once_per_inode(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"1" * 100)
    os.link(tmp_path / "a", tmp_path / "hard")
    (tmp_path / "d" / "e").mkdir(parents=True)
    (tmp_path / "d" / "e" / "f").write_bytes(b"2" * 10)
    os.symlink("/nowhere/at/all", tmp_path / "d" / "link")  # 15: not followed
    (tmp_path / "empty").touch()
    assert tree_size(tmp_path) == 100 + 10 + 15
    assert tree_size(tmp_path / "missing") == 0


def test_files_size_of_a_change_list(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"1" * 7)
    os.link(tmp_path / "a", tmp_path / "b")
    (tmp_path / "dir").mkdir()
    assert files_size(tmp_path, ["/a", "/b", "/dir", "/deleted"]) == 7
