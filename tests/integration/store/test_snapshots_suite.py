"""Conformance suite for snapshotters, run against overlay2 and native (needs root: mounts)."""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wharf.core.errors import NotFound
from wharf.core.snapshots import SnapshotterProtocol
from wharf.lib.archive import apply_layer
from wharf.lib.mount import MS_BIND, is_mountpoint, mount, mount_points_under, unmount
from wharf.store.snapshots import NativeSnapshotter, OverlaySnapshotter, open_snapshotter
from wharf.store.snapshots.initlayer import INIT_PATHS

Factory = Callable[[Path], SnapshotterProtocol]
IMPLEMENTATIONS: dict[str, Factory] = {
    "overlay2": lambda root: OverlaySnapshotter(root / "overlay"),
    "native": lambda root: NativeSnapshotter(root / "native"),
}
L1, L2, L3 = ("sha256:" + c * 64 for c in "123")


def layer(*entries: tuple[str, str]) -> io.BytesIO:
    """A layer tar from (name, content) pairs; content "/" makes a directory."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in entries:
            info = tarfile.TarInfo(name)
            if content == "/":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(content), 0o644
                tar.addfile(info, io.BytesIO(content.encode()))
    buf.seek(0)
    return buf


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def snap(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SnapshotterProtocol]:
    s = IMPLEMENTATIONS[request.param](tmp_path)
    made: list[str] = []
    original = s.create_container

    def tracking_create(container_id: str, chain_ids: list[str]) -> None:
        made.append(container_id)
        original(container_id, chain_ids)

    s.create_container = tracking_create  # type: ignore[method-assign]
    try:
        yield s
    finally:
        for point in mount_points_under(tmp_path):  # a failed test's mounts first
            unmount(point)
        for cid in made:
            s.remove_container(cid)


def image(s: SnapshotterProtocol) -> list[str]:
    s.add_layer(
        L1,
        None,
        layer(("etc", "/"), ("etc/os", "wharf"), ("gone", "x"), ("opq", "/"), ("opq/old", "o")),
    )
    s.add_layer(
        L2,
        L1,
        layer(
            (".wh.gone", ""),
            ("opq", "/"),
            ("opq/.wh..wh..opq", ""),
            ("opq/new", "n"),
            ("etc/extra", "e"),
        ),
    )
    return [L1, L2]


def listing(root: Path) -> list[str]:
    """The tree's entries, without the init layer's (checked on their own)."""
    init = {p[1:] for p in INIT_PATHS} - {"etc"}
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if str(p.relative_to(root)) not in init
    )


def test_layers_stack_with_whiteouts(snap: SnapshotterProtocol) -> None:
    chain = image(snap)
    assert snap.has_layer(L2) and not snap.has_layer(L3)
    assert snap.layers() == [L1, L2]
    assert snap.add_layer(L2, L1, io.BytesIO(b"not read")) == 2  # idempotent
    if snap.name == "vfs":  # the copying driver starts a layer from a copy of its parent
        with pytest.raises(NotFound):
            snap.add_layer(L3, "sha256:" + "9" * 64, layer(("x", "x")))
    else:  # an overlay layer is its own files: pulls unpack layers before their parents
        snap.add_layer(L3, "sha256:" + "9" * 64, layer(("x", "x")))
        snap.remove_layer(L3)
    snap.create_container("c1", chain)
    root = snap.mount("c1")
    assert snap.mount("c1") == root
    assert listing(root) == ["etc", "etc/extra", "etc/os", "opq", "opq/new"]
    assert (root / "etc/os").read_text() == "wharf"


def test_container_writes_never_change_the_image(snap: SnapshotterProtocol) -> None:
    chain = image(snap)
    snap.create_container("c1", chain)
    snap.create_container("c2", chain)
    root = snap.mount("c1")
    (root / "etc/os").write_text("changed")
    (root / "etc/extra").unlink()
    (root / "added").write_text("+")
    other = snap.mount("c2")
    assert (other / "etc/os").read_text() == "wharf" and (other / "etc/extra").exists()
    assert snap.changes("c1") == [
        ("/added", 1),
        ("/etc", 0),
        ("/etc/extra", 2),
        ("/etc/os", 0),
    ]
    assert snap.changes("c2") == []
    snap.unmount("c1")
    snap.unmount("c1")
    assert (snap.mount("c1") / "etc/os").read_text() == "changed"  # persists across mounts


def test_diff_replays_onto_the_image(snap: SnapshotterProtocol, tmp_path: Path) -> None:
    chain = image(snap)
    snap.create_container("c1", chain)
    root = snap.mount("c1")
    (root / "opq/new").unlink()
    (root / "etc/os").write_text("v2")
    buf = io.BytesIO()
    snap.diff("c1", buf)
    buf.seek(0)
    snap.add_layer(L3, L2, buf)
    snap.create_container("c3", [*chain, L3])
    assert listing(snap.mount("c3")) == ["etc", "etc/extra", "etc/os", "opq"]
    assert (snap.mount("c3") / "etc/os").read_text() == "v2"
    replay = tmp_path / "replay"
    replay.mkdir()
    buf.seek(0)
    apply_layer(buf, replay)
    assert (replay / "etc/os").read_text() == "v2"


def test_size_counts_what_the_container_wrote(snap: SnapshotterProtocol) -> None:
    """Docker's SizeRw: written files and symlinks (a hard-linked file once), not the image,
    deletions or directories; a new container has 0 (its init layer does not count)."""
    chain = image(snap)
    snap.create_container("c1", chain)
    assert snap.size("c1") == 0
    root = snap.mount("c1")
    (root / "big").write_bytes(b"x" * 1000)
    os.link(root / "big", root / "big-link")
    os.symlink("/big", root / "sym")  # 4 bytes: its target
    (root / "etc/os").write_text("v2")  # copied up / modified: its new size
    (root / "etc/extra").unlink()
    (root / "newdir").mkdir()
    assert snap.size("c1") == 1000 + 4 + 2


def test_remove_and_graph_driver(snap: SnapshotterProtocol) -> None:
    chain = image(snap)
    snap.create_container("c1", chain)
    root = snap.mount("c1")
    info = snap.graph_driver("c1")
    assert info["Name"] == snap.name and info["Data"]
    snap.remove_container("c1")
    assert not root.exists() and not snap.has_container("c1")
    snap.remove_container("c1")
    with pytest.raises(NotFound):
        snap.mount("c1")
    snap.remove_layer(L2)
    assert not snap.has_layer(L2) and snap.layers() == [L1]


def test_containers_lists_every_container_snapshot(snap: SnapshotterProtocol) -> None:
    chain = image(snap)
    assert snap.containers() == []
    snap.create_container("c1", chain)
    snap.create_container("c2", [])
    assert snap.containers() == ["c1", "c2"]
    snap.remove_container("c1")
    assert snap.containers() == ["c2"]


def test_remove_container_unmounts_first_and_follows_no_symlink(
    snap: SnapshotterProtocol, tmp_path: Path
) -> None:
    outside = tmp_path / "host"
    outside.mkdir()
    (outside / "sentinel").write_text("keep me")
    snap.create_container("c1", image(snap))
    root = snap.mount("c1")
    (root / "mnt").mkdir()
    mount(str(outside), root / "mnt", "none", MS_BIND)  # a volume a crash left mounted
    os.symlink(outside, root / "escape")
    snap.remove_container("c1")
    assert not snap.has_container("c1") and snap.containers() == []
    assert (outside / "sentinel").read_text() == "keep me"
    assert mount_points_under(tmp_path) == []


def test_empty_image_has_the_init_layer(snap: SnapshotterProtocol) -> None:
    snap.create_container("c0", [])
    root = snap.mount("c0")
    assert (root / ".dockerenv").is_file() and (root / "proc").is_dir()
    assert os.readlink(root / "etc/mtab") == "/proc/mounts"
    assert snap.changes("c0") == []
    (root / "f").write_text("x")
    assert snap.changes("c0") == [("/f", 1)]


def test_interrupted_unpack_is_cleaned(snap: SnapshotterProtocol) -> None:
    class Boom(io.BytesIO):
        def read(self, n: int | None = -1) -> bytes:
            raise OSError("disk on fire")

    with pytest.raises(OSError):
        snap.add_layer(L1, None, Boom())
    assert snap.layers() == [] and not snap.has_layer(L1)


def test_overlay_deep_stack_uses_short_paths(tmp_path: Path) -> None:
    snap = OverlaySnapshotter(tmp_path / ("deep" * 20) / "overlay")
    chain: list[str] = []
    for n in range(90):
        cid = f"sha256:{n:064x}"
        snap.add_layer(cid, chain[-1] if chain else None, layer((f"f{n}", str(n))))
        chain.append(cid)
    snap.create_container("deep", chain)
    try:
        root = snap.mount("deep")
        assert is_mountpoint(root)
        assert (root / "f0").read_text() == "0" and (root / "f89").read_text() == "89"
    finally:
        snap.remove_container("deep")


def test_open_snapshotter_picks_overlay(tmp_path: Path) -> None:
    s = open_snapshotter(tmp_path)
    assert s.name == "overlay2"
    assert open_snapshotter(tmp_path, "native").name == "vfs"
