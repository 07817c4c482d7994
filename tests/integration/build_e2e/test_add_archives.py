"""ADD of hostile archives through ``DOCKER_BUILDKIT=0 docker build``: a tar whose links and
names aim out of the image writes nothing on the host (refused, or kept inside the image), and
a gzip bomb is stopped (wharf bounds what an archive may expand to; Docker does not, so the bomb
runs against wharfd only)."""

from __future__ import annotations

import tarfile
import time
import zlib
from pathlib import Path

import pytest
from tests.integration.build_e2e.engines import (
    assert_store_consistent,
    docker_build,
    entry,
    store_view,
    tar_of,
    tree_digest,
    write_context,
)
from tests.support.daemons import Daemon

ZEROS_PER_MEMBER = 64 << 20
# What the bomb expands to; compressed about 1 MB: gzip's best ratio (~1030) is past wharf's
# bound of 1000x the archive's size, so the extraction stops short of the end, by that bound.
BOMB_BYTES = 1 << 30


def escaping_tar(sentinel: Path) -> bytes:
    secret = str(sentinel / "secret")
    return tar_of([
        entry("esc", tarfile.SYMTYPE, str(sentinel)),
        entry("esc/pwned"),                                   # through the absolute link
        entry("rel", tarfile.SYMTYPE, "../../../../../../.." + str(sentinel)),
        entry("rel/pwned-rel"),                               # through the relative link
        entry("hard", tarfile.LNKTYPE, secret),               # a hard link to a host file
        entry("../../../../../../.." + str(sentinel) + "/pwned-dotdot"),
    ], {"esc/pwned": b"written\n", "rel/pwned-rel": b"written\n",
        "../../../../../../.." + str(sentinel) + "/pwned-dotdot": b"written\n"})


def test_add_of_a_tar_with_escaping_links_writes_nothing_on_the_host(
        engine: Daemon, tmp_path: Path, sentinel: Path) -> None:
    untouched = tree_digest(sentinel)
    context = write_context(tmp_path, "FROM busybox\nADD evil.tar /dest/\n",
                            {"evil.tar": escaping_tar(sentinel)})
    before = store_view(engine)
    res = docker_build(engine, "-t", "e2e-bad:evil-tar", str(context))
    assert tree_digest(sentinel) == untouched
    if res.returncode != 0:  # refused: nothing tagged, the store whole
        assert_store_consistent(engine, before)
        return
    shown = engine.docker("run", "--rm", "e2e-bad:evil-tar", "sh", "-c",
                          "cat /dest/hard /dest/esc/* /dest/rel/* 2>/dev/null; true")
    assert b"host secret" not in shown.stdout
    engine.docker("rmi", "e2e-bad:evil-tar")


def gzip_bomb_tar(size: int) -> bytes:
    """A gzip of a tar holding one file of ``size`` zero bytes: gzip members concatenated,
    one of the tar header and the same deflated run of zeros again and again."""
    header = tarfile.TarInfo("zeros")
    header.size = size
    member = gzip_member(bytes(ZEROS_PER_MEMBER))
    head = gzip_member(header.tobuf(format=tarfile.USTAR_FORMAT))
    tail = gzip_member(bytes(1024))  # the two zero blocks that end the archive
    return head + member * (size // ZEROS_PER_MEMBER) + tail


def gzip_member(data: bytes) -> bytes:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
    return squeeze.compress(data) + squeeze.flush()


def test_a_gzip_bomb_added_is_stopped(engine: Daemon, tmp_path: Path) -> None:
    if engine.name == "dockerd":
        pytest.skip("dockerd bounds no archive: it would write the whole bomb")
    bomb = gzip_bomb_tar(BOMB_BYTES)
    assert len(bomb) < BOMB_BYTES // 500
    context = write_context(tmp_path, "FROM busybox\nADD bomb.tar.gz /b/\n",
                            {"bomb.tar.gz": bomb})
    before = store_view(engine)
    started = time.monotonic()
    used = disk_usage(engine.data_root)
    res = docker_build(engine, "-t", "e2e-bad:bomb", str(context))
    assert res.returncode != 0, res.stdout
    assert "decompressed data exceeds the limit" in res.stderr, res.stderr
    assert time.monotonic() - started < 60
    assert_store_consistent(engine, before)
    assert disk_usage(engine.data_root) - used < 64 << 20  # the partial extraction is gone


def disk_usage(root: Path) -> int:
    return sum(p.lstat().st_blocks * 512 for p in root.rglob("*"))
