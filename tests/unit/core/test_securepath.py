"""securepath: the attack corpus from SECURITY.md, with openat2 and with the fallback walk."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from wharf.lib import securepath


@pytest.fixture(params=["openat2", "fallback"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "fallback":
        monkeypatch.setattr(securepath, "_openat2_available", lambda: False)
    elif not securepath._openat2_available():
        pytest.skip("openat2 not available")
    yield str(request.param)


@pytest.fixture
def jail(tmp_path: Path) -> Path:
    """A root with an outside sibling holding a secret, and classic escaping links."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_text("host")
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "secret").write_text("inside")
    os.symlink("/", root / "rootlink")
    os.symlink("../../outside", root / "up")
    os.symlink("/etc", root / "abs_etc")
    os.symlink("..", root / "a")
    os.symlink("a/..", root / "b")
    os.symlink("loop2", root / "loop1")
    os.symlink("loop1", root / "loop2")
    os.symlink("/proc/self/root", root / "magic")
    return root


def read(root: Path, path: str) -> bytes:
    return securepath.read_file_in_root(root, path, 1 << 20)


@pytest.mark.parametrize(
    "path",
    [
        "etc/secret",
        "/etc/secret",
        "../../../etc/secret",
        "rootlink/etc/secret",
        "abs_etc/secret",
        "a/a/etc/secret",
        "b/etc/secret",
        "etc/../../etc/secret",
    ],
)
def test_escapes_stay_in_root(mode: str, jail: Path, path: str) -> None:
    assert read(jail, path) == b"inside"


def test_relative_symlink_above_root_is_clamped(mode: str, jail: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read(jail, "up/secret")


def test_symlink_loop_is_eloop(mode: str, jail: Path) -> None:
    with pytest.raises(OSError) as info:
        read(jail, "loop1")
    assert info.value.errno == errno.ELOOP


def test_magic_link_does_not_escape(mode: str, jail: Path) -> None:
    # /proc/self/root is re-anchored in the root by both implementations: never the host's /.
    with pytest.raises(OSError):
        read(jail, "magic/outside/secret")


def test_create_through_symlink_lands_inside(mode: str, jail: Path) -> None:
    fd = securepath.open_in_root(jail, "rootlink/newfile", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    os.write(fd, b"x")
    os.close(fd)
    assert (jail / "newfile").read_bytes() == b"x"
    assert not Path("/newfile").exists()


def test_nofollow_last_component(mode: str, jail: Path) -> None:
    with pytest.raises(OSError) as info:
        securepath.open_in_root(jail, "abs_etc", os.O_RDONLY | os.O_NOFOLLOW)
    assert info.value.errno in (errno.ELOOP, errno.ENOTDIR)


def test_read_limit_and_non_regular(mode: str, jail: Path) -> None:
    (jail / "big").write_bytes(b"x" * 100)
    assert len(securepath.read_file_in_root(jail, "big", 100)) == 100
    with pytest.raises(OSError) as info:
        securepath.read_file_in_root(jail, "big", 99)
    assert info.value.errno == errno.EFBIG
    os.mkfifo(jail / "fifo")
    with pytest.raises(OSError) as info:
        securepath.read_file_in_root(jail, "fifo", 10)
    assert info.value.errno == errno.EINVAL


def test_resolve_in_root(jail: Path) -> None:
    assert securepath.resolve_in_root(jail, "rootlink/etc") == jail / "etc"
    assert securepath.resolve_in_root(jail, "../../x/y") == jail / "x" / "y"
    assert securepath.resolve_in_root(jail, "up/secret") == jail / "outside" / "secret"
    assert securepath.resolve_in_root(jail, "b/abs_etc/new") == jail / "etc" / "new"
    assert securepath.resolve_in_root(jail, "") == jail
    with pytest.raises(OSError):
        securepath.resolve_in_root(jail, "loop1/x")


def test_makedirs_in_root_follows_links_inside(mode: str, jail: Path) -> None:
    os.symlink("/srv/data", jail / "data")  # dangling, absolute: VOLUME /data
    fd = securepath.makedirs_in_root(jail, "data/sub")
    os.close(fd)
    assert (jail / "srv" / "data" / "sub").is_dir()
    os.close(securepath.makedirs_in_root(jail, "../../../etc/../work"))
    assert (jail / "work").is_dir()
    os.close(securepath.makedirs_in_root(jail, "rootlink/x/y"))
    assert (jail / "x" / "y").is_dir()
    assert not (jail.parent / "x").exists()


def test_clean_path() -> None:
    assert securepath.clean_path("/a/./b/../c/") == "a/c"
    assert securepath.clean_path("../../..") == ""
