"""Resolving an archive path inside a container root: symlinks stay inside, the last
component is not followed, a stopped container's binds are looked up in their sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from wharf.core.errors import InvalidParameter, NotFound, WharfError
from wharf.services.archive_resolve import (
    ContainerRoot,
    check_writable,
    extraction_dir,
    locate,
    mount_sources,
)


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("container")
    (root / "escape").symlink_to("/")
    (root / "up").symlink_to("../../../..")
    (root / "pw").symlink_to("etc/passwd")
    (root / "data").mkdir()
    return root


def test_symlinks_resolve_inside_the_root(rootfs: Path) -> None:
    root = ContainerRoot(rootfs, running=True)
    for path in ("/escape/etc/passwd", "/up/etc/passwd", "/../../etc/passwd"):
        place, found = locate(root, path, "c")
        assert (place.root, place.rel) == (rootfs, "etc/passwd")
        assert found.name == "passwd" and found.size == len("container")


def test_the_last_component_is_not_followed_unless_asked(rootfs: Path) -> None:
    root = ContainerRoot(rootfs, running=True)
    place, found = locate(root, "/pw", "c")
    assert place.rel == "pw" and found.link_target == "/etc/passwd"
    place, found = locate(root, "/escape/", "c")
    assert place.rel == "" and found.is_dir


def test_missing_paths_are_dockers_404(rootfs: Path) -> None:
    with pytest.raises(NotFound, match="Could not find the file /nope in container c1"):
        locate(ContainerRoot(rootfs, running=True), "/nope", "c1")
    with pytest.raises(NotFound):
        extraction_dir(ContainerRoot(rootfs, running=True), "/nope/deeper", "c1")
    with pytest.raises(InvalidParameter, match="extraction point is not a directory"):
        extraction_dir(ContainerRoot(rootfs, running=True), "/etc/passwd", "c1")


def test_a_stopped_containers_bind_is_read_in_its_source(rootfs: Path, tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "f").write_text("bound")
    (source / "out").symlink_to("/")
    mounts = [{"Type": "bind", "Source": str(source), "Destination": "/data", "RW": True}]
    root = ContainerRoot(rootfs, running=False, mounts=mount_sources(mounts))
    place, found = locate(root, "/data/f", "c")
    assert (place.root, place.rel, place.container_path) == (source, "f", "/data/f")
    assert found.size == len("bound")
    place = extraction_dir(root, "/data/out", "c")  # "/" of the mount, never the host's
    assert (place.root, place.rel) == (source, "")


def test_a_file_bind_is_the_path_itself(rootfs: Path, tmp_path: Path) -> None:
    conf = tmp_path / "app.conf"
    conf.write_text("x=1")
    mounts = [{"Type": "bind", "Source": str(conf), "Destination": "/etc/app.conf"}]
    root = ContainerRoot(rootfs, running=False, mounts=mount_sources(mounts))
    place, found = locate(root, "/etc/app.conf", "c")
    assert (place.root, place.rel) == (tmp_path, "app.conf") and found.size == 3


def test_writability_follows_dockerd() -> None:
    mounts = [{"Destination": "/ro", "RW": False}, {"Destination": "/ro/rw", "RW": True}]
    check_writable(mounts, False, "/ro/rw/x")
    check_writable(mounts, True, "/ro/rw")
    with pytest.raises(WharfError, match="mounted volume is marked read-only"):
        check_writable(mounts, False, "/ro/x")
    with pytest.raises(WharfError, match="container rootfs is marked read-only"):
        check_writable(mounts, True, "/robust")
    check_writable(mounts, False, "/robust")
