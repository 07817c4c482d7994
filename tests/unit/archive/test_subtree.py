"""``tar_subtree``: a path inside a root archived with docker cp's names, never leaving the
root; and the archive API's untar rules (``noOverwriteDirNonDir``, a forced owner)."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path
from typing import Any

import pytest

from wharf.build.untar import UntarRules, untar
from wharf.core.errors import InvalidParameter
from wharf.lib.archive import tar_subtree


def names(root: Path, rel: str, name: str, prune: frozenset[str] = frozenset()) -> list[str]:
    out = io.BytesIO()
    tar_subtree(root, rel, name, out, prune)
    out.seek(0)
    with tarfile.open(fileobj=out) as tar:
        return tar.getnames()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "etc" / "sub").mkdir(parents=True)
    (tmp_path / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    (tmp_path / "etc" / "sub" / "f").write_text("f")
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "inside").write_text("x")
    (tmp_path / "escape").symlink_to("/")
    return tmp_path


def test_a_directory_is_named_by_the_requested_base(root: Path) -> None:
    assert names(root, "etc", "etc") == ["etc", "etc/passwd", "etc/sub", "etc/sub/f"]


def test_a_trailing_dot_names_the_contents(root: Path) -> None:
    assert names(root, "etc", ".") == [".", "./passwd", "./sub", "./sub/f"]


def test_a_symlink_is_archived_as_itself(root: Path) -> None:
    out = io.BytesIO()
    tar_subtree(root, "escape", "escape", out)
    out.seek(0)
    with tarfile.open(fileobj=out) as tar:
        members = tar.getmembers()
    assert [(m.name, m.issym(), m.linkname) for m in members] == [("escape", True, "/")]


def test_a_file_is_one_entry_with_its_bytes(root: Path) -> None:
    out = io.BytesIO()
    tar_subtree(root, "etc/passwd", "renamed", out)
    out.seek(0)
    with tarfile.open(fileobj=out) as tar:
        member = tar.getmembers()[0]
        data = tar.extractfile(member)
        assert data is not None and data.read() == b"root:x:0:0::/root:/bin/sh\n"
    assert member.name == "renamed"


def test_the_root_is_named_absolutely_and_pruned(root: Path) -> None:
    listed = names(root, "", "/", frozenset({"proc"}))
    assert "/etc/passwd" in listed and "/proc" in listed
    assert "/proc/inside" not in listed  # listed, not entered
    assert "/escape" in listed


def rules(**extra: Any) -> UntarRules:
    return UntarRules(label="Error processing tar file", keep_owner=True, allow_absolute=True,
                      allow_special=True, confine_symlinks=True, clamp_dotdot=False,
                      max_bytes=1 << 30, max_entries=1000, **extra)


def test_no_overwrite_dir_non_dir_refuses_a_file_over_a_directory(
        tmp_path: Path, kit: Any) -> None:
    (tmp_path / "d").mkdir()
    tar = kit.make(kit.File("d", b"x", uid=os.getuid(), gid=os.getgid()))
    with pytest.raises(InvalidParameter, match='cannot overwrite directory "/d"'):
        untar(io.BytesIO(tar), tmp_path, "", rules(no_overwrite_dir_non_dir=True))
    assert (tmp_path / "d").is_dir()


def test_no_overwrite_dir_non_dir_refuses_a_directory_over_a_file(
        tmp_path: Path, kit: Any) -> None:
    (tmp_path / "f").write_text("keep")
    tar = kit.make(kit.Dir("f", uid=os.getuid(), gid=os.getgid()))
    with pytest.raises(InvalidParameter, match='cannot overwrite non-directory "/f"'):
        untar(io.BytesIO(tar), tmp_path, "", rules(no_overwrite_dir_non_dir=True))
    assert (tmp_path / "f").read_text() == "keep"


def test_without_the_flag_a_file_replaces_a_directory(tmp_path: Path, kit: Any) -> None:
    (tmp_path / "d").mkdir()
    tar = kit.make(kit.File("d", b"x", uid=os.getuid(), gid=os.getgid()))
    untar(io.BytesIO(tar), tmp_path, "", rules())
    assert (tmp_path / "d").read_bytes() == b"x"


def test_a_forced_owner_wins_over_the_headers(tmp_path: Path, kit: Any) -> None:
    me = (os.getuid(), os.getgid())
    tar = kit.make(kit.File("f", b"x", uid=4321, gid=4321))
    untar(io.BytesIO(tar), tmp_path, "", rules(owner=me))
    st = (tmp_path / "f").stat()
    assert (st.st_uid, st.st_gid) == me


def test_a_relative_symlink_out_of_the_directory_is_refused(tmp_path: Path, kit: Any) -> None:
    (tmp_path / "into").mkdir()
    tar = kit.make(kit.Sym("up", "../../../etc"))
    with pytest.raises(InvalidParameter, match="invalid symlink"):
        untar(io.BytesIO(tar), tmp_path, "into", rules())
