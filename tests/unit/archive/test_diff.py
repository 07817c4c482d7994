"""Layer diffs and change lists, checked by round trips through apply_layer."""

from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile
from pathlib import Path

import pytest

from wharf.lib.archive import (
    ChangeKind,
    apply_layer,
    changes_between,
    changes_overlay_upper,
    diff_overlay_upper,
    diff_trees,
    tar_tree,
)
from wharf.lib.archive.diff import _TarWriter


def tree(root: Path) -> dict[str, tuple[int, int, int, bytes, str]]:
    """A comparable picture of a tree: type+mode, uid, gid, content, link target."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(dirpath, name)
            st = os.lstat(p)
            body = p.read_bytes() if stat.S_ISREG(st.st_mode) else b""
            link = os.readlink(p) if stat.S_ISLNK(st.st_mode) else ""
            out[str(p.relative_to(root))] = (st.st_mode, st.st_uid, st.st_gid, body, link)
    return out


def make_base(root: Path) -> Path:
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text("root")
    (root / "etc/hosts").write_text("h")
    (root / "opt/app").mkdir(parents=True)
    (root / "opt/app/a").write_text("a")
    (root / "gone").write_text("bye")
    return root


@pytest.mark.root
def test_tar_tree_round_trip(tmp_path: Path) -> None:
    src = make_base(tmp_path / "src")
    os.symlink("/etc/passwd", src / "link")
    os.link(src / "etc/passwd", src / "hard")
    os.mknod(src / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    os.chown(src / "opt", 5, 6)
    os.chmod(src / "etc/hosts", 0o4711)
    os.setxattr(src / "etc/hosts", "user.note", b"n")
    buf = io.BytesIO()
    tar_tree(src, buf)
    with tarfile.open(fileobj=io.BytesIO(buf.getvalue())) as tar:
        assert tar.getmember("hard").islnk() or tar.getmember("etc/passwd").islnk()
    dst = tmp_path / "dst"
    dst.mkdir()
    apply_layer(io.BytesIO(buf.getvalue()), dst)
    assert tree(dst) == tree(src)
    assert os.getxattr(dst / "etc/hosts", "user.note") == b"n"
    assert os.stat(dst / "hard").st_ino == os.stat(dst / "etc/passwd").st_ino


def fake_upper(tmp_path: Path) -> tuple[Path, Path]:
    """A lower (the image) and an overlay upper dir as the kernel would leave it."""
    lower = make_base(tmp_path / "lower")
    upper = tmp_path / "upper"
    (upper / "etc").mkdir(parents=True)
    (upper / "etc/hosts").write_text("changed")
    (upper / "etc/new").write_text("n")
    os.mknod(upper / "gone", stat.S_IFCHR, os.makedev(0, 0))
    (upper / "opt/app").mkdir(parents=True)
    os.setxattr(upper / "opt/app", "trusted.overlay.opaque", b"y")
    (upper / "opt/app/b").write_text("b")
    return lower, upper


@pytest.mark.root
def test_overlay_changes(tmp_path: Path) -> None:
    lower, upper = fake_upper(tmp_path)
    assert changes_overlay_upper(upper, [lower]) == [
        ("/etc", ChangeKind.MODIFIED),
        ("/etc/hosts", ChangeKind.MODIFIED),
        ("/etc/new", ChangeKind.ADDED),
        ("/gone", ChangeKind.DELETED),
        ("/opt", ChangeKind.MODIFIED),
        ("/opt/app", ChangeKind.MODIFIED),
        ("/opt/app/a", ChangeKind.DELETED),
        ("/opt/app/b", ChangeKind.ADDED),
    ]


@pytest.mark.root
def test_overlay_diff_applies_to_the_merged_view(tmp_path: Path) -> None:
    lower, upper = fake_upper(tmp_path)
    buf = io.BytesIO()
    diff_overlay_upper(upper, buf)
    with tarfile.open(fileobj=io.BytesIO(buf.getvalue())) as tar:
        names = tar.getnames()
    assert ".wh.gone" in names and "opt/app/.wh..wh..opq" in names
    result = tmp_path / "result"
    shutil.copytree(lower, result, symlinks=True)
    apply_layer(io.BytesIO(buf.getvalue()), result)
    assert sorted(str(p.relative_to(result)) for p in result.rglob("*")) == [
        "etc",
        "etc/hosts",
        "etc/new",
        "etc/passwd",
        "opt",
        "opt/app",
        "opt/app/b",
    ]
    assert (result / "etc/hosts").read_text() == "changed"


def test_changes_between_and_diff_trees(tmp_path: Path) -> None:
    base = make_base(tmp_path / "base")
    new = tmp_path / "new"
    shutil.copytree(base, new, symlinks=True)
    (new / "gone").unlink()
    shutil.rmtree(new / "opt")
    (new / "etc/hosts").write_text("changed!")
    (new / "etc/add").write_text("+")
    changes = changes_between(base, new)
    assert changes == [
        ("/etc", ChangeKind.MODIFIED),
        ("/etc/add", ChangeKind.ADDED),
        ("/etc/hosts", ChangeKind.MODIFIED),
        ("/gone", ChangeKind.DELETED),
        ("/opt", ChangeKind.DELETED),
    ]
    buf = io.BytesIO()
    diff_trees(base, new, buf)
    replay = tmp_path / "replay"
    shutil.copytree(base, replay, symlinks=True)
    apply_layer(io.BytesIO(buf.getvalue()), replay)
    assert tree(replay) == tree(new)


def test_archiving_never_reads_through_a_swapped_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("host secret")
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(str(outside), root / "dir")  # as if "dir" was swapped for a symlink
    buf = io.BytesIO()
    writer = _TarWriter(buf)
    writer.add(root, "dir/secret")  # what a walk that listed dir/ earlier would ask for
    writer.add(root, "dir")
    writer.close()
    with tarfile.open(fileobj=io.BytesIO(buf.getvalue())) as tar:
        members = tar.getmembers()
    assert [(m.name, m.issym()) for m in members] == [("dir", True)]
    assert b"host secret" not in buf.getvalue()


def test_overlay_changes_respect_whiteouts_in_lowers(tmp_path: Path) -> None:
    bottom, top, upper = (tmp_path / n for n in ("bottom", "top", "upper"))
    for d in (bottom, top, upper):
        d.mkdir()
    (bottom / "f").write_text("old")
    os.mknod(top / "f", stat.S_IFCHR, os.makedev(0, 0))  # deleted by the top layer
    (upper / "f").write_text("again")
    (bottom / "g").write_text("g")
    (upper / "g").write_text("changed")
    assert changes_overlay_upper(upper, [top, bottom]) == [
        ("/f", ChangeKind.ADDED),
        ("/g", ChangeKind.MODIFIED),
    ]
