"""build.sources: which files COPY/ADD sources name, and their digests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wharf.build.sources import SourceMatch, match_sources, sources_digest
from wharf.core.errors import InvalidParameter
from wharf.lib.gomatch import has_wildcards, matches


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    root = tmp_path / "ctx"
    for rel in ("a.txt", "b.txt", "c.md", "src/x.c", "src/y.c", "src/deep/z.c", "[x].txt"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    (tmp_path / "secret").write_text("host")
    os.symlink("/etc/passwd", root / "passwd")
    os.symlink("../secret", root / "up")
    os.symlink("src", root / "srclink")
    return root


def paths(found: list[SourceMatch]) -> list[tuple[str, bool]]:
    return [(m.path, m.is_dir) for m in found]


def test_go_match() -> None:
    assert matches("*.txt", "a.txt") and not matches("*.txt", "src/a.txt")
    assert matches("src/?.c", "src/x.c") and not matches("src/?.c", "src/xy.c")
    assert matches("[a-b].txt", "b.txt") and not matches("[^a-b].txt", "b.txt")
    assert matches("\\[x\\].txt", "[x].txt") and not matches("[", "[")  # bad pattern: false
    assert has_wildcards("a*") and not has_wildcards("a\\*b") and has_wildcards("[x]")


def test_plain_names_files_dirs_and_the_root(ctx: Path) -> None:
    found = match_sources(ctx, ["a.txt", "./src", "/c.md", ".", "src/../b.txt"])
    assert paths(found) == [("a.txt", False), ("src", True), ("c.md", False), (".", True),
                            ("b.txt", False)]
    assert {m.root for m in found} == {ctx} and found[2].pattern == "/c.md"


def test_wildcards_in_walk_order(ctx: Path) -> None:
    assert paths(match_sources(ctx, ["*.txt"])) == [("[x].txt", False), ("a.txt", False),
                                                    ("b.txt", False)]
    assert paths(match_sources(ctx, ["src/*.c", "s*"])) == [
        ("src/x.c", False), ("src/y.c", False), ("src", True), ("srclink", True)]


def test_wildcards_off_take_the_name_literally(ctx: Path) -> None:
    with pytest.raises(InvalidParameter, match=r"stat \*.txt: file does not exist"):
        match_sources(ctx, ["*.txt"], wildcards=False)


def test_a_missing_file_is_dockers_error(ctx: Path) -> None:
    with pytest.raises(InvalidParameter) as caught:
        match_sources(ctx, ["a.txt", "nope"])
    assert str(caught.value) == ("COPY failed: file not found in build context or excluded by "
                                 ".dockerignore: stat nope: file does not exist")
    with pytest.raises(InvalidParameter) as caught:
        match_sources(ctx, ["/nope"], keyword="ADD", in_context=False)
    assert str(caught.value) == "ADD failed: stat nope: file does not exist"


def test_an_unmatched_wildcard_is_fine_unless_nothing_matched(ctx: Path) -> None:
    assert paths(match_sources(ctx, ["*.none", "a.txt"])) == [("a.txt", False)]
    with pytest.raises(InvalidParameter) as caught:
        match_sources(ctx, ["*.none"])
    assert str(caught.value) == "COPY failed: no source files were specified"


def test_dotdot_out_of_the_context_is_forbidden(ctx: Path) -> None:
    for word in ("../secret", "src/../../secret"):
        with pytest.raises(InvalidParameter) as caught:
            match_sources(ctx, [word])
        assert str(caught.value) == (
            f"COPY failed: forbidden path outside the build context: {word} ()")


def test_symlinks_resolve_inside_the_root(ctx: Path) -> None:
    # /etc/passwd and ../secret are looked up in the context, where they are not
    for word in ("passwd", "up", "/etc/passwd"):
        with pytest.raises(InvalidParameter, match="file not found in build context"):
            match_sources(ctx, [word])
    assert paths(match_sources(ctx, ["srclink"])) == [("srclink", True)]
    (ctx / "etc").mkdir()
    (ctx / "etc/passwd").write_text("the context's own")
    assert paths(match_sources(ctx, ["passwd"])) == [("passwd", False)]


def test_digests_shapes_and_stability(ctx: Path, tmp_path: Path) -> None:
    one = sources_digest(match_sources(ctx, ["a.txt"]))
    tree = sources_digest(match_sources(ctx, ["src"]))
    multi = sources_digest(match_sources(ctx, ["a.txt", "b.txt"]))
    assert one.startswith("file:") and len(one) == 5 + 64
    assert tree.startswith("dir:") and multi.startswith("multi:")
    os.utime(ctx / "src/deep/z.c", (1, 1))  # mtimes do not count
    assert sources_digest(match_sources(ctx, ["src"])) == tree
    (ctx / "src/deep/z.c").write_text("changed")
    assert sources_digest(match_sources(ctx, ["src"])) != tree
    os.chmod(ctx / "a.txt", 0o600)
    assert sources_digest(match_sources(ctx, ["a.txt"])) != one
    via_link = sources_digest(match_sources(ctx, ["srclink"]))
    assert via_link == sources_digest(match_sources(ctx, ["src"]))


def test_a_symlink_in_a_tree_hashes_its_target_not_the_file(ctx: Path) -> None:
    os.symlink("x.c", ctx / "src/l")
    before = sources_digest(match_sources(ctx, ["src"]))
    (ctx / "src/x.c").write_text("other")
    os.unlink(ctx / "src/l")
    os.symlink("y.c", ctx / "src/l")
    assert sources_digest(match_sources(ctx, ["src"])) != before
