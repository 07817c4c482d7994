"""build.sources.copy_into: Docker's COPY semantics inside a root file system, confined to it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from wharf.build.sources import Owner, copy_into, match_sources
from wharf.core.errors import InvalidParameter

pytestmark = pytest.mark.root  # ownership


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    root = tmp_path / "ctx"
    (root / "dir/sub").mkdir(parents=True)
    (root / "a.txt").write_text("A")
    (root / "b.txt").write_text("B")
    (root / "dir/one").write_text("1")
    (root / "dir/sub/two").write_text("2")
    os.chmod(root / "dir/one", 0o751)
    os.chmod(root / "dir/sub", 0o750)
    os.utime(root / "dir/one", (1000, 1000))
    os.utime(root / "dir/sub", (2000, 2000))
    os.symlink("one", root / "dir/link")
    os.link(root / "dir/one", root / "dir/hard")
    os.symlink("a.txt", root / "alink")
    return root


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "existing").mkdir()
    (tmp_path / "host").mkdir()
    (tmp_path / "host/keep").write_text("host")
    return root


def copy(ctx: Path, rootfs: Path, words: list[str], dest: str, workdir: str = "/",
         **kw: object) -> None:
    copy_into(rootfs, match_sources(ctx, words), dest, workdir, **kw)  # type: ignore[arg-type]


def owner_mode(path: Path) -> tuple[int, int, int]:
    st = os.lstat(path)
    return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)


def test_a_file_to_a_new_name_and_into_directories(ctx: Path, rootfs: Path) -> None:
    copy(ctx, rootfs, ["a.txt"], "/new/name")
    assert (rootfs / "new/name").read_text() == "A"
    copy(ctx, rootfs, ["a.txt"], "/existing")  # an existing directory: inside it
    assert (rootfs / "existing/a.txt").read_text() == "A"
    copy(ctx, rootfs, ["b.txt"], "/made/")  # a trailing slash: a directory, made
    assert (rootfs / "made/b.txt").read_text() == "B"
    assert owner_mode(rootfs / "made") == (0, 0, 0o755)


def test_relative_destinations_follow_workdir(ctx: Path, rootfs: Path) -> None:
    copy(ctx, rootfs, ["a.txt"], "rel/", workdir="/app")
    copy(ctx, rootfs, ["b.txt"], ".", workdir="/existing")
    assert (rootfs / "app/rel/a.txt").read_text() == "A"
    assert (rootfs / "existing/b.txt").read_text() == "B"


def test_several_sources_need_a_directory_ending_in_slash(ctx: Path, rootfs: Path) -> None:
    for words in (["a.txt", "b.txt"], ["*.txt"]):
        with pytest.raises(InvalidParameter) as caught:
            copy(ctx, rootfs, words, "/existing")
        assert str(caught.value) == ("When using COPY with more than one source file, the "
                                     "destination must be a directory and end with a /")
    with pytest.raises(InvalidParameter, match=r"^When using ADD with"):
        copy(ctx, rootfs, ["a.txt", "b.txt"], "/x", extract_archives=True)
    copy(ctx, rootfs, ["*.txt"], "/many/")
    assert sorted(os.listdir(rootfs / "many")) == ["a.txt", "b.txt"]


def test_a_directory_copies_its_contents_with_modes_mtimes_links(ctx: Path, rootfs: Path) -> None:
    copy(ctx, rootfs, ["dir"], "/opt/d")
    d = rootfs / "opt/d"
    assert sorted(os.listdir(d)) == ["hard", "link", "one", "sub"]
    assert owner_mode(d / "one") == (0, 0, 0o751) and os.stat(d / "one").st_mtime == 1000
    assert owner_mode(d / "sub") == (0, 0, 0o750) and os.stat(d / "sub").st_mtime == 2000
    assert os.readlink(d / "link") == "one"
    assert os.stat(d / "hard").st_ino == os.stat(d / "one").st_ino
    assert (d / "sub/two").read_text() == "2"


def test_chown_on_copied_files_and_on_created_parents(ctx: Path, rootfs: Path) -> None:
    copy(ctx, rootfs, ["a.txt"], "/p/q/f", owner=Owner(1000, 1001))
    assert owner_mode(rootfs / "p") == (1000, 1001, 0o755)
    assert owner_mode(rootfs / "p/q") == (1000, 1001, 0o755)
    assert owner_mode(rootfs / "p/q/f")[:2] == (1000, 1001)
    copy(ctx, rootfs, ["a.txt"], "/etc/", owner=Owner(7, 7))  # an existing parent keeps its owner
    assert owner_mode(rootfs / "etc")[:2] == (0, 0)
    # a directory: its new destination is chowned, the parents made on the way are root's
    copy(ctx, rootfs, ["dir"], "/r/s/d", owner=Owner(5, 6))
    assert owner_mode(rootfs / "r")[:2] == (0, 0)
    assert owner_mode(rootfs / "r/s/d")[:2] == (5, 6)
    assert {owner_mode(rootfs / "r/s/d" / n)[:2] for n in ("one", "sub", "link", "sub/two")} == {
        (5, 6)}
    copy(ctx, rootfs, ["dir"], "/existing", owner=Owner(5, 6))  # existed: not chowned
    assert owner_mode(rootfs / "existing")[:2] == (0, 0)


def test_chmod_applies_to_copied_files_and_directories(ctx: Path, rootfs: Path) -> None:
    copy(ctx, rootfs, ["dir"], "/m", mode=0o700)
    assert owner_mode(rootfs / "m/one")[2] == 0o700
    assert owner_mode(rootfs / "m/sub")[2] == 0o700
    assert os.readlink(rootfs / "m/link") == "one"
    copy(ctx, rootfs, ["a.txt"], "/f", mode=0o4711)
    assert owner_mode(rootfs / "f")[2] == 0o4711


def test_preserve_ownership_keeps_the_sources_owners(ctx: Path, rootfs: Path) -> None:
    # as docker 28 does for COPY --from without --chown: new parents stay root's
    os.chown(ctx / "dir/one", 33, 34)
    copy(ctx, rootfs, ["dir"], "/keep", preserve_ownership=True)
    assert owner_mode(rootfs / "keep/one")[:2] == (33, 34)
    copy(ctx, rootfs, ["dir/one"], "/t/u", preserve_ownership=True)
    assert owner_mode(rootfs / "t")[:2] == (0, 0) and owner_mode(rootfs / "t/u")[:2] == (33, 34)


def test_a_top_level_symlink_copies_its_target_under_its_own_name(ctx: Path,
                                                                 rootfs: Path) -> None:
    copy(ctx, rootfs, ["alink"], "/existing/")
    assert not os.path.islink(rootfs / "existing/alink")
    assert (rootfs / "existing/alink").read_text() == "A"


def test_symlinks_in_the_rootfs_never_lead_out(ctx: Path, rootfs: Path, tmp_path: Path) -> None:
    host = tmp_path / "host"
    os.symlink(str(host), rootfs / "abs")                  # absolute: re-anchored in the root
    os.symlink("../../host", rootfs / "rel")               # climbing: clamped at the root
    os.symlink(str(host / "keep"), rootfs / "existing/victim")
    copy(ctx, rootfs, ["a.txt"], "/abs/")
    copy(ctx, rootfs, ["dir"], "/rel/")
    copy(ctx, rootfs, ["b.txt"], "/existing/victim")   # the symlink itself is replaced
    assert sorted(os.listdir(host)) == ["keep"] and (host / "keep").read_text() == "host"
    assert (rootfs / str(host).lstrip("/") / "a.txt").read_text() == "A"
    assert (rootfs / "host/one").read_text() == "1"
    assert (rootfs / "existing/victim").read_text() == "B"


def test_a_destination_symlink_to_a_directory_inside_is_followed(ctx: Path, rootfs: Path) -> None:
    os.symlink("/existing", rootfs / "to-existing")
    copy(ctx, rootfs, ["a.txt"], "/to-existing")
    assert (rootfs / "existing/a.txt").read_text() == "A"


def test_entries_in_the_way_are_replaced_directories_merge(ctx: Path, rootfs: Path) -> None:
    (rootfs / "t/sub").mkdir(parents=True)
    (rootfs / "t/sub/old").write_text("old")
    (rootfs / "t/one").mkdir()          # a directory where a file comes: replaced
    copy(ctx, rootfs, ["dir"], "/t")
    assert (rootfs / "t/sub/old").read_text() == "old"
    assert (rootfs / "t/one").read_text() == "1"


def test_a_file_where_a_directory_should_be_is_an_error(ctx: Path, rootfs: Path) -> None:
    (rootfs / "plain").write_text("x")
    with pytest.raises(InvalidParameter) as caught:
        copy(ctx, rootfs, ["a.txt"], "/plain/inside/")
    assert str(caught.value) == "failed to copy files: mkdir /plain/inside: not a directory"


def test_copy_from_another_root_with_the_whole_root(ctx: Path, rootfs: Path,
                                                    tmp_path: Path) -> None:
    other = tmp_path / "stage"
    (other / "bin").mkdir(parents=True)
    (other / "bin/app").write_text("binary")
    found = match_sources(other, ["/"], in_context=False)
    copy_into(rootfs, found, "/from-stage", "/")
    assert (rootfs / "from-stage/bin/app").read_text() == "binary"


def test_a_directory_swapped_for_a_symlink_mid_copy_cannot_lead_out(
        ctx: Path, rootfs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from wharf.build import rootpath

    host = tmp_path / "host"
    real_clear = rootpath.clear_for
    swapped: list[bool] = []

    def swap_then_clear(parent_fd: int, base: str, *, is_dir: bool) -> bool:
        if not swapped and (rootfs / "dst/sub").is_dir():  # after the walk made dst/sub
            swapped.append(True)
            os.rename(rootfs / "dst/sub", rootfs / "dst/moved")
            os.symlink(str(host), rootfs / "dst/sub")
        return real_clear(parent_fd, base, is_dir=is_dir)

    monkeypatch.setattr(rootpath, "clear_for", swap_then_clear)  # copying looks it up per call
    copy(ctx, rootfs, ["dir"], "/dst")
    assert swapped and sorted(os.listdir(host)) == ["keep"]
    assert (host / "keep").read_text() == "host"
