"""build.sources: ADD's local archives (unpacked, bounded, links confined) and ADD <url>."""

from __future__ import annotations

import bz2
import gzip
import http.server
import lzma
import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import zstandard
from tests.unit.build.tarkit import dir_, file, hard, make_tar, sym

from wharf.build.sources import CopyLimits, copy_into, fetch_url, match_sources, sources_digest
from wharf.core.errors import InvalidParameter, NotFound, RemoteFailure

pytestmark = pytest.mark.root  # owners from the archive


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    ctx, rootfs = tmp_path / "ctx", tmp_path / "rootfs"
    ctx.mkdir()
    (rootfs / "app").mkdir(parents=True)
    (tmp_path / "host").mkdir()
    return ctx, rootfs


def add(ctx: Path, rootfs: Path, name: str, data: bytes, dest: str = "/app/",
        limits: CopyLimits | None = None) -> None:
    (ctx / name).write_bytes(data)
    copy_into(rootfs, match_sources(ctx, [name], keyword="ADD"), dest, "/",
              extract_archives=True, limits=limits or CopyLimits())


def sample() -> bytes:
    return make_tar(dir_("d", mode=0o700, uid=5, gid=6), file("d/f", b"data", uid=7, gid=8),
                    sym("d/abs", "/etc/passwd"), sym("d/rel", "f"), hard("d/h", "d/f"))


@pytest.mark.parametrize("pack", [lambda b: b, gzip.compress, bz2.compress, lzma.compress],
                         ids=["plain", "gzip", "bzip2", "xz"])
def test_local_archives_are_unpacked_with_their_owners(dirs: tuple[Path, Path],
                                                       pack: object) -> None:
    ctx, rootfs = dirs
    assert callable(pack)
    add(ctx, rootfs, "x.tar", pack(sample()))
    st = os.stat(rootfs / "app/d/f")
    assert (st.st_uid, st.st_gid, st.st_nlink) == (7, 8, 2)
    assert (os.stat(rootfs / "app/d").st_uid, os.stat(rootfs / "app/d").st_mode & 0o777) == (
        5, 0o700)
    assert os.readlink(rootfs / "app/d/abs") == "/etc/passwd"
    assert not (rootfs / "app/x.tar").exists()


def test_zstd_and_non_tars_are_copied_as_files(dirs: tuple[Path, Path]) -> None:
    ctx, rootfs = dirs
    zst = zstandard.ZstdCompressor().compress(sample())
    add(ctx, rootfs, "x.tar.zst", zst)
    add(ctx, rootfs, "notes.gz", gzip.compress(b"just text, not a tar" * 50))
    add(ctx, rootfs, "empty.tar", b"\0" * 10240)  # no first header: Docker copies it
    assert (rootfs / "app/x.tar.zst").read_bytes() == zst
    assert sorted(os.listdir(rootfs / "app")) == ["empty.tar", "notes.gz", "x.tar.zst"]


def test_an_archive_to_a_new_directory_without_a_slash(dirs: tuple[Path, Path]) -> None:
    ctx, rootfs = dirs
    add(ctx, rootfs, "x.tar", sample(), dest="/opt/new")
    assert (rootfs / "opt/new/d/f").read_bytes() == b"data"


@pytest.mark.parametrize("entries,message", [
    ([sym("evil", "../../host")], 'invalid symlink "/app/evil" -> "../../host"'),
    ([dir_("a"), sym("a/evil", "../../x")], 'invalid symlink "/app/a/evil" -> "../../x"'),
    ([file("f"), hard("h", "../host/x")], "invalid hardlink"),
], ids=["symlink", "nested-symlink", "hardlink"])
def test_escaping_links_are_refused(dirs: tuple[Path, Path], entries: list[object],
                                    message: str) -> None:
    ctx, rootfs = dirs
    with pytest.raises(InvalidParameter, match="^failed to copy files: .*" + re.escape(message)):
        add(ctx, rootfs, "evil.tar", make_tar(*entries))  # type: ignore[arg-type]
    assert os.listdir(rootfs.parent / "host") == []


def test_a_symlink_staying_inside_is_fine_and_writes_through_it_stay_in_root(
        dirs: tuple[Path, Path]) -> None:
    ctx, rootfs = dirs
    add(ctx, rootfs, "ok.tar", make_tar(dir_("a"), sym("a/up", "../"), sym("root", "/"),
                                        file("root/tmp-x", b"r")))
    assert os.readlink(rootfs / "app/a/up") == "../"
    assert (rootfs / "tmp-x").read_bytes() == b"r"  # chrooted in the rootfs, as Docker
    assert os.listdir(rootfs.parent / "host") == []


def test_dotdot_names_stop_at_the_destination(dirs: tuple[Path, Path]) -> None:
    ctx, rootfs = dirs  # as docker 28: ADD dd.tar /dd/ puts ../../escape at /dd/escape
    add(ctx, rootfs, "dd.tar", make_tar(file("../../escape", b"e"), file("/abs", b"a")))
    assert (rootfs / "app/escape").read_bytes() == b"e"
    assert (rootfs / "app/abs").read_bytes() == b"a"
    assert os.listdir(rootfs.parent / "host") == [] and not (rootfs / "escape").exists()


def test_a_decompression_bomb_is_cut(dirs: tuple[Path, Path]) -> None:
    ctx, rootfs = dirs
    bomb = gzip.compress(make_tar(file("zeros", b"\0" * (80 << 20))))
    with pytest.raises(InvalidParameter, match="exceeds the limit"):  # past 64 MiB + 100x
        add(ctx, rootfs, "bomb.tar.gz", bomb)
    with pytest.raises(InvalidParameter, match="exceeds the limit"):
        add(ctx, rootfs, "bomb2.tar.gz", bomb,
            limits=CopyLimits(max_archive_ratio=10**6, max_archive_bytes=1 << 20))
    add(ctx, rootfs, "fine.tar.gz", bomb, limits=CopyLimits(max_archive_ratio=10**4))


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        routes = {"/files/hello.tar": (200, make_tar(file("in-tar", b"t"))),
                  "/big": (200, b"x" * 5000), "/": (200, b"root")}
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/files/hello.tar")
            self.end_headers()
            return
        code, body = routes.get(self.path, (404, b"no such thing\n"))
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


def test_add_url_downloads_without_extracting(tmp_path: Path, dirs: tuple[Path, Path],
                                              server: str) -> None:
    _, rootfs = dirs
    (tmp_path / "dl").mkdir()
    found = fetch_url(server + "/moved", tmp_path / "dl")
    assert found.path == "moved" and found.from_url
    seen: list[tuple[int, int | None]] = []
    again = fetch_url(server + "/files/hello.tar", tmp_path / "dl")
    found = fetch_url(server + "/files/hello.tar", tmp_path / "dl",
                      progress=lambda done, total: seen.append((done, total)))
    assert found.path == "hello.tar" and found.root != again.root  # no collision
    assert found.root.parent == tmp_path / "dl" and seen[-1][0] == seen[-1][1] == 10240
    st = os.stat(found.root / "hello.tar")
    assert (st.st_mode & 0o777, st.st_mtime) == (0o600, 1445412480)
    assert not sources_digest([found]).startswith("file:")  # Docker's bare hash for URLs
    copy_into(rootfs, [found], "/app/", "/", extract_archives=True)
    assert (rootfs / "app/hello.tar").read_bytes().startswith(b"in-tar")
    assert os.stat(rootfs / "app/hello.tar").st_mode & 0o777 == 0o600


def test_add_url_errors(tmp_path: Path, dirs: tuple[Path, Path], server: str) -> None:
    _, rootfs = dirs
    with pytest.raises(NotFound) as caught:
        fetch_url(server + "/missing", tmp_path)
    assert str(caught.value) == (
        f"failed to GET {server}/missing with status 404 Not Found: no such thing")
    with pytest.raises(InvalidParameter, match="limit"):
        fetch_url(server + "/big", tmp_path, CopyLimits(max_url_bytes=100))
    unnamed = fetch_url(server + "/", tmp_path)
    assert unnamed.path == "__unnamed__"
    with pytest.raises(InvalidParameter, match="cannot determine filename for source"):
        copy_into(rootfs, [unnamed], "/app/", "/")
    copy_into(rootfs, [unnamed], "/app/named", "/")
    assert (rootfs / "app/named").read_bytes() == b"root"
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RemoteFailure, match=f'^Get "http://127.0.0.1:{port}/x": '):
        fetch_url(f"http://127.0.0.1:{port}/x", tmp_path, CopyLimits(url_socket_timeout=2))
    with pytest.raises(InvalidParameter, match="unsupported URL scheme"):
        fetch_url("file:///etc/passwd", tmp_path)
