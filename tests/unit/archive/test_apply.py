"""apply_layer: normal content, whiteouts, and SECURITY.md's attack corpus."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
from pathlib import Path
from typing import Any

import pytest
import zstandard

from wharf.core.errors import InvalidParameter
from wharf.lib.archive import apply_layer

Kit = Any


@pytest.fixture
def env(tmp_path: Path) -> tuple[Path, Path]:
    """(root, outside): outside is a sibling that must never change."""
    root = tmp_path / "dest"
    outside = tmp_path / "dest-evil"
    root.mkdir()
    outside.mkdir()
    (outside / "keep").write_text("host")
    return root, outside


def apply(data: bytes, root: Path, **kw: bool) -> int:
    return apply_layer(io.BytesIO(data), root, **kw)


def snapshot(path: Path) -> dict[str, tuple[int, bytes]]:
    out = {}
    for dirpath, dirs, files in os.walk(path):
        for name in dirs + files:
            p = Path(dirpath, name)
            st = os.lstat(p)
            body = p.read_bytes() if stat.S_ISREG(st.st_mode) else b""
            out[str(p.relative_to(path))] = (st.st_mode, body)
    return out


@pytest.mark.root
def test_basic_content_and_metadata(kit: Kit, env: tuple[Path, Path]) -> None:
    root, _ = env
    data = kit.make(
        kit.Dir("bin", mode=0o755, mtime=1000),
        kit.File("bin/tool", b"#!x", mode=0o4755, uid=12, gid=34, mtime=2000),
        kit.Sym("bin/sh", "/bin/tool"),
        kit.Link("bin/tool2", "bin/tool"),
        kit.Entry("dev/null", tarfile.CHRTYPE, mode=0o666, devmajor=1, devminor=3),
        kit.Entry("run/fifo", tarfile.FIFOTYPE, mode=0o600),
        kit.File("x", b"data", xattrs={"user.k": b"\xff\x00v", "trusted.evil": b"y"}),
    )
    # Docker's size: regular files once (the hard link adds nothing), symlinks their target
    assert apply(data, root) == 3 + 4 + len("/bin/tool")
    st = os.stat(root / "bin/tool")
    assert stat.S_IMODE(st.st_mode) == 0o4755 and (st.st_uid, st.st_gid) == (12, 34)
    assert st.st_mtime == 2000 and os.stat(root / "bin").st_mtime == 1000
    assert os.readlink(root / "bin/sh") == "/bin/tool"
    assert os.stat(root / "bin/tool2").st_ino == st.st_ino
    dev = os.lstat(root / "dev/null")
    assert stat.S_ISCHR(dev.st_mode) and dev.st_rdev == os.makedev(1, 3)
    assert stat.S_ISFIFO(os.lstat(root / "run/fifo").st_mode)
    assert os.getxattr(root / "x", "user.k") == b"\xff\x00v"
    assert "trusted.evil" not in os.listxattr(root / "x")


@pytest.mark.root
@pytest.mark.parametrize("codec", ["gzip", "zstd", "plain"])
def test_compressions(kit: Kit, env: tuple[Path, Path], codec: str) -> None:
    root, _ = env
    data = kit.make(kit.File("a", b"hello"))
    if codec == "gzip":
        data = gzip.compress(data)
    elif codec == "zstd":
        data = zstandard.ZstdCompressor().compress(data)
    apply(data, root)
    assert (root / "a").read_bytes() == b"hello"


@pytest.mark.root
def test_whiteouts_delete_and_opaque(kit: Kit, env: tuple[Path, Path]) -> None:
    root, _ = env
    apply(kit.make(kit.File("a/old"), kit.File("a/keep"), kit.File("b/x"), kit.File("c")), root)
    apply(
        kit.make(
            kit.File("a/new"),
            kit.File("a/.wh..wh..opq"),
            kit.File("a/newer"),
            kit.File(".wh.c"),
            kit.File("b/.wh.x"),
            kit.File(".wh.missing"),
        ),
        root,
    )
    assert sorted(os.listdir(root / "a")) == ["new", "newer"]
    assert os.listdir(root / "b") == []
    assert not (root / "c").exists()


@pytest.mark.root
def test_overlay_whiteouts(kit: Kit, env: tuple[Path, Path]) -> None:
    root, _ = env
    apply(
        kit.make(kit.Dir("d"), kit.File("d/.wh..wh..opq"), kit.File(".wh.gone")),
        root,
        overlay_whiteouts=True,
    )
    st = os.lstat(root / "gone")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
    assert os.getxattr(root / "d", "trusted.overlay.opaque") == b"y"
    assert not (root / "d" / ".wh..wh..opq").exists()


@pytest.mark.parametrize("name", [".wh..", ".wh...", ".wh."])
def test_invalid_whiteouts_rejected(kit: Kit, env: tuple[Path, Path], name: str) -> None:
    root, outside = env
    before = snapshot(outside.parent)
    with pytest.raises(InvalidParameter):
        apply(kit.make(kit.File(f"sub/{name}")), root)
    assert snapshot(outside) == {"keep": before["dest-evil/keep"]}


@pytest.mark.parametrize(
    "entries",
    [
        ["File('../dest-evil/keep', b'pwned')"],
        ["File('../../../../../../tmp/../dest-evil/keep', b'pwned')"],
        ["File('/dest-evil/keep', b'pwned')"],
        ["Sym('foo', '/')", "File('foo/dest-evil/keep', b'pwned')"],
        ["Sym('foo', '../dest-evil')", "File('foo/keep', b'pwned')"],
        ["Sym('a', '..')", "Sym('b', 'a/..')", "File('b/dest-evil/keep', b'pwned')"],
        ["Sym('a', '..')", "File('a/a/a/dest-evil/keep', b'pwned')"],
        ["Sym('evil', '../dest-evil/keep')", "File('evil', b'pwned')"],
        ["Dir('d')", "Sym('d', '../dest-evil')", "File('d/keep', b'pwned')"],
        ["Sym('p', '/proc/self/root')", "File('p/dest-evil/keep', b'pwned')"],
        ["Sym('e', '../dest-evil')", "File('e/.wh.keep')"],
        ["Sym('e', '../dest-evil')", "File('e/.wh..wh..opq')"],
    ],
)
def test_attack_corpus_stays_inside(kit: Kit, env: tuple[Path, Path], entries: list[str]) -> None:
    root, outside = env
    scope = {"File": kit.File, "Dir": kit.Dir, "Sym": kit.Sym}
    data = kit.make(*(eval(e, scope) for e in entries))
    with _tolerate_clean_refusal():
        apply(data, root)
    assert (outside / "keep").read_text() == "host"
    assert sorted(os.listdir(outside)) == ["keep"]


class _tolerate_clean_refusal:
    """Refusing a hostile layer is fine; writing outside is not (checked after)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: object, tb: object) -> bool:
        return kind is None or isinstance(exc, (InvalidParameter, OSError))


@pytest.mark.parametrize("target", ["../dest-evil/keep", "/../dest-evil/keep", "/etc/passwd"])
def test_hardlink_outside_is_rejected_or_inside(
    kit: Kit, env: tuple[Path, Path], target: str
) -> None:
    root, outside = env
    with pytest.raises(InvalidParameter):
        apply(kit.make(kit.Link("l", target)), root)
    assert os.stat(outside / "keep").st_nlink == 1


@pytest.mark.root
def test_hardlink_through_symlinked_dir_stays_inside(kit: Kit, env: tuple[Path, Path]) -> None:
    root, outside = env
    data = kit.make(kit.Sym("s", "/"), kit.File("f", b"in"), kit.Link("l", "s/../dest-evil/keep"))
    with pytest.raises(InvalidParameter):
        apply(data, root)
    assert os.stat(outside / "keep").st_nlink == 1


@pytest.mark.root
def test_symlink_replaces_directory_and_reverse(kit: Kit, env: tuple[Path, Path]) -> None:
    root, _ = env
    apply(kit.make(kit.Dir("d"), kit.File("d/f"), kit.Sym("s", "/tmp")), root)
    apply(kit.make(kit.Sym("d", "/etc"), kit.Dir("s"), kit.File("s/x", b"1")), root)
    assert os.readlink(root / "d") == "/etc"
    assert (root / "s").is_dir() and not (root / "s").is_symlink()
    assert (root / "s/x").read_bytes() == b"1"


@pytest.mark.root
def test_setuid_device_kept_inside_only(kit: Kit, env: tuple[Path, Path]) -> None:
    root, _ = env
    apply(
        kit.make(
            kit.File("su", b"x", mode=0o6755),
            kit.Entry("sda", tarfile.BLKTYPE, mode=0o660, devmajor=8, devminor=0),
        ),
        root,
    )
    assert stat.S_IMODE(os.stat(root / "su").st_mode) == 0o6755
    assert stat.S_ISBLK(os.lstat(root / "sda").st_mode)


def test_truncated_and_garbage(env: tuple[Path, Path], kit: Kit) -> None:
    root, _ = env
    data = kit.make(kit.File("big", b"x" * 10000))
    with pytest.raises(InvalidParameter):
        apply(data[:1024], root)
    with pytest.raises(InvalidParameter):
        apply(b"\x1f\x8b" + b"garbage" * 10, root)


@pytest.mark.root
def test_opaque_keeps_implicit_parents_of_this_layer(kit: Kit, env: tuple[Path, Path]) -> None:
    root, _ = env
    apply(kit.make(kit.File("a/old/x"), kit.File("a/y")), root)
    apply(kit.make(kit.File("a/new/deep/f", b"1"), kit.File("a/.wh..wh..opq")), root)
    assert sorted(os.listdir(root / "a")) == ["new"]
    assert (root / "a/new/deep/f").read_bytes() == b"1"


@pytest.mark.parametrize("codec", ["gzip", "zstd", "bz2", "xz"])
def test_corrupt_compressed_layers_are_invalid(env: tuple[Path, Path], codec: str) -> None:
    import bz2
    import lzma

    data = b"\0" * 20000
    packed = {
        "gzip": gzip.compress,
        "zstd": zstandard.ZstdCompressor().compress,
        "bz2": bz2.compress,
        "xz": lzma.compress,
    }[codec](data)
    corrupt = packed[:12] + bytes(b ^ 0x5A for b in packed[12:40]) + packed[40:]
    with pytest.raises(InvalidParameter):
        apply(corrupt, env[0])
    with pytest.raises(InvalidParameter):  # a bad block deep in the stream (isal's own error)
        apply(packed[:20] + b"\xff" * 50 + packed[70:], env[0])
