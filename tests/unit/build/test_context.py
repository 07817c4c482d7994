"""build.context: the context tar unpacked safely, the Dockerfile found, entries taken out."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import tarfile
from pathlib import Path

import pytest
import zstandard
from tests.unit.build.tarkit import dir_, entry, file, hard, make_tar, sym

from wharf.build.context import ContextLimits, extract_context, read_dockerfile, take_out
from wharf.core.errors import InvalidParameter

pytestmark = pytest.mark.root  # unpacking sets owners (chown)


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    dest = tmp_path / "ctx"
    dest.mkdir()
    (tmp_path / "outside").write_text("host")
    return dest


def extract(data: bytes, dest: Path, **limits: int) -> None:
    extract_context(io.BytesIO(data), dest, ContextLimits(**limits))


def sample() -> bytes:
    return make_tar(
        dir_("src", mode=0o750, mtime=1000),
        file("src/main.c", b"int main;", mode=0o640, uid=1000, gid=1000, mtime=2000),
        file("Dockerfile", b"FROM scratch\n"),
        sym("src/link", "/etc/passwd"),
        sym("up", "../../outside"),
        hard("src/again.c", "src/main.c"),
    )


@pytest.mark.parametrize("pack", [lambda b: b, gzip.compress, bz2.compress, lzma.compress,
                                  lambda b: zstandard.ZstdCompressor().compress(b)],
                         ids=["plain", "gzip", "bzip2", "xz", "zstd"])
def test_every_compression_is_sniffed(ctx: Path, pack: object) -> None:
    assert callable(pack)
    extract(pack(sample()), ctx)
    assert (ctx / "src/main.c").read_bytes() == b"int main;"


def test_modes_and_mtimes_are_kept_owners_are_roots(ctx: Path) -> None:
    extract(sample(), ctx)
    st = os.stat(ctx / "src/main.c")
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid, st.st_mtime) == (0o640, 0, 0, 2000)
    assert st.st_nlink == 2 and os.stat(ctx / "src/again.c").st_ino == st.st_ino
    dst = os.stat(ctx / "src")
    assert (dst.st_mode & 0o7777, dst.st_mtime) == (0o750, 1000)
    # symlinks are kept as written, even pointing out: COPY resolves them inside the context
    assert os.readlink(ctx / "src/link") == "/etc/passwd"
    assert os.readlink(ctx / "up") == "../../outside"


@pytest.mark.parametrize("bad", [
    make_tar(file("../evil", b"x")),
    make_tar(file("a/../../evil", b"x")),
    make_tar(file("/abs", b"x")),
    make_tar(entry("dev", tarfile.CHRTYPE, devmajor=1, devminor=3)),
    make_tar(entry("fifo", tarfile.FIFOTYPE)),
    make_tar(file("a"), hard("b", "../outside")),
], ids=["dotdot", "dotdot-inner", "absolute", "device", "fifo", "hardlink-out"])
def test_hostile_entries_are_refused(ctx: Path, bad: bytes) -> None:
    with pytest.raises(InvalidParameter, match="Error processing tar file"):
        extract(bad, ctx)
    assert (ctx.parent / "outside").read_text() == "host"
    assert not (ctx.parent / "evil").exists()


def test_writes_through_a_symlink_stay_inside(ctx: Path) -> None:
    extract(make_tar(sym("esc", "../"), file("esc/outside", b"pwned"),
                     sym("abs", "/"), file("abs/x", b"in")), ctx)
    assert (ctx.parent / "outside").read_text() == "host"
    assert (ctx / "outside").read_bytes() == b"pwned"  # clamped at the context's root
    assert (ctx / "x").read_bytes() == b"in"


def test_bounds(ctx: Path) -> None:
    with pytest.raises(InvalidParameter, match="exceeds the limit"):
        extract(gzip.compress(make_tar(file("big", b"\0" * 200_000))), ctx, max_bytes=100_000)
    with pytest.raises(InvalidParameter, match="more than 2 entries"):
        extract(make_tar(file("a"), file("b"), file("c")), ctx, max_entries=2)


def test_a_huge_pax_header_is_refused_before_it_is_read(ctx: Path) -> None:
    info = tarfile.TarInfo("x")
    info.pax_headers = {"comment": "y" * (2 << 20)}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(InvalidParameter, match="extended header"):
        extract(buf.getvalue(), ctx)


def test_garbage_is_refused(ctx: Path) -> None:
    with pytest.raises(InvalidParameter):
        extract(b"not a tar at all" * 100, ctx)
    with pytest.raises(InvalidParameter):
        extract(gzip.compress(sample())[:200], ctx)


def test_read_dockerfile_default_lowercase_and_named(ctx: Path) -> None:
    (ctx / "dockerfile").write_text("FROM a\n")
    assert read_dockerfile(ctx, "") == b"FROM a\n"
    assert read_dockerfile(ctx, "Dockerfile") == b"FROM a\n"
    (ctx / "sub").mkdir()
    (ctx / "sub/Build.df").write_text("FROM b\n")
    assert read_dockerfile(ctx, "sub/Build.df") == b"FROM b\n"
    with pytest.raises(InvalidParameter, match=r"^Cannot locate specified Dockerfile: Other$"):
        read_dockerfile(ctx, "Other")


@pytest.mark.parametrize("name,target", [("../outside", None), ("/etc/passwd", None),
                                         ("Dockerfile", "/etc/passwd"),
                                         ("Dockerfile", "../../outside"), ("Dockerfile", "sub")])
def test_a_dockerfile_outside_the_context_is_not_found(ctx: Path, name: str,
                                                       target: str | None) -> None:
    (ctx / "sub").mkdir()
    if target is not None:
        os.symlink(target, ctx / name)
    with pytest.raises(InvalidParameter) as caught:
        read_dockerfile(ctx, name)
    assert str(caught.value) == f"Cannot locate specified Dockerfile: {name}"


def test_a_symlinked_dockerfile_inside_the_context_is_read(ctx: Path) -> None:
    (ctx / "real").write_text("FROM c\n")
    os.symlink("/real", ctx / "Dockerfile")
    assert read_dockerfile(ctx, "Dockerfile") == b"FROM c\n"


def test_a_dockerfile_past_the_limit_is_refused(ctx: Path) -> None:
    (ctx / "Dockerfile").write_bytes(b"#" * 100)
    with pytest.raises(InvalidParameter, match="larger than 10 bytes"):
        read_dockerfile(ctx, "Dockerfile", limit=10)


def test_ignored_build_files_leave_the_context_after_reading(ctx: Path) -> None:
    (ctx / "Dockerfile").write_text("FROM a\n")
    (ctx / ".dockerignore").write_text("Dockerfile\n.dockerignore\n")
    (ctx / "kept").write_text("k")
    read_dockerfile(ctx, "Dockerfile")
    assert sorted(os.listdir(ctx)) == ["kept"]


def test_the_clis_dockerfile_trick_leaves_the_context(ctx: Path) -> None:
    # the docker CLI adds `-f` from outside as .dockerfile.<random> and names it in .dockerignore
    (ctx / ".dockerfile.0123abcd").write_text("FROM a\n")
    (ctx / ".dockerignore").write_text("x\n.dockerignore\n.dockerfile.0123abcd\n")
    assert read_dockerfile(ctx, ".dockerfile.0123abcd") == b"FROM a\n"
    assert os.listdir(ctx) == []
    (ctx / ".dockerfile.feed").write_text("FROM b\n")  # a CLI that does not touch .dockerignore
    read_dockerfile(ctx, ".dockerfile.feed")
    assert os.listdir(ctx) == []


def test_build_files_not_ignored_stay(ctx: Path) -> None:
    (ctx / "Dockerfile").write_text("FROM a\n")
    (ctx / ".dockerignore").write_text("*.log\n")
    read_dockerfile(ctx, "Dockerfile")
    assert sorted(os.listdir(ctx)) == [".dockerignore", "Dockerfile"]


def test_take_out_moves_a_regular_file_only(ctx: Path, tmp_path: Path) -> None:
    (ctx / ".wharf-secret-1").write_bytes(b"s3cret")
    os.chmod(ctx / ".wharf-secret-1", 0o600)
    take_out(ctx, ".wharf-secret-1", tmp_path / "secret")
    assert (tmp_path / "secret").read_bytes() == b"s3cret"
    assert not (ctx / ".wharf-secret-1").exists()
    os.symlink("/etc/shadow", ctx / ".wharf-secret-2")
    with pytest.raises(InvalidParameter, match="not a file"):
        take_out(ctx, ".wharf-secret-2", tmp_path / "secret2")
    with pytest.raises(InvalidParameter):
        take_out(ctx, ".wharf-secret-missing", tmp_path / "secret3")
    assert not (tmp_path / "secret2").exists()
