from pathlib import Path

import pytest

from wharf.core.errors import InvalidParameter
from wharf.lib.dockerignore import (
    PatternMatcher,
    clean_path,
    keep_build_files,
    parse_ignore_file,
    walk_context,
)


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("", "."), (".", "."), ("a/b", "a/b"), ("a//b", "a/b"), ("a/./b/", "a/b"),
        ("a/../b", "b"), ("../a", "../a"), ("a/../..", ".."), ("/..", "/"), ("/a/../../b", "/b"),
        ("//a", "/a"), ("./", "."), ("a/b/../../c/.", "c"),
    ],
)
def test_clean_path_follows_go(raw: str, cleaned: str) -> None:
    assert clean_path(raw) == cleaned


def test_parse_ignore_file_handles_comments_blanks_and_normalisation() -> None:
    content = (
        "\ufeff# comment\n"
        "\n"
        "   \n"
        "  *.md  \r\n"
        " # not a comment once indented\n"
        "/abs/path/\n"
        "!  /keep/../keep.md\n"
        "a//b/./c\n"
        "/\n"
        "!\n"
        "temp?"
    )
    assert parse_ignore_file(content) == [
        "*.md", "# not a comment once indented", "abs/path", "!keep.md", "a/b/c", "/", "!",
        "temp?",
    ]


def test_parse_ignore_file_accepts_bytes() -> None:
    assert parse_ignore_file(b"\xef\xbb\xbfnode_modules\n.git\n") == ["node_modules", ".git"]


def _excluded(patterns: list[str], path: str) -> bool:
    return PatternMatcher(patterns).matches(path)


MATCHES = [
    # documented examples of the dockerfile reference
    (["*/temp*"], "somedir/temporary.txt", True),
    (["*/temp*"], "somedir/temp", True),
    (["*/temp*"], "temp", False),
    (["*/temp*"], "a/b/temp", False),
    (["*/*/temp*"], "somedir/subdir/temporary.txt", True),
    (["*/*/temp*"], "somedir/temporary.txt", False),
    (["temp?"], "tempa", True),
    (["temp?"], "temp", False),
    (["temp?"], "tempab", False),
    (["temp?"], "dir/tempa", False),
    (["**/*.go"], "main.go", True),
    (["**/*.go"], "a/b/c/main.go", True),
    (["**/*.go"], "main.gox", False),
    (["*.md", "!README*.md"], "README-secret.md", False),
    (["*.md", "!README*.md"], "notes.md", True),
    (["*.md", "!README*.md", "README-secret.md"], "README-secret.md", True),
    (["*.md", "!README*.md", "README-secret.md"], "README-public.md", False),
    (["*.md", "README-secret.md", "!README*.md"], "README-secret.md", False),
    # a directory excludes what is under it
    (["node_modules"], "node_modules/x/y.js", True),
    (["node_modules"], "src/node_modules/y.js", False),
    (["a/b"], "a/b/c/d", True),
    (["a/b"], "a/bc", False),
    (["a/*"], "a/b/c", True),
    (["*"], "anything/at/all", True),
    # ** anywhere
    (["**"], "x/y", True),
    (["a/**"], "a/b/c", True),
    (["a/**"], "a", False),
    (["a/**/b"], "a/b", True),
    (["a/**/b"], "a/x/y/b", True),
    (["a/**/b"], "a/x/y/bc", False),
    (["**/b"], "b", True),
    (["**b"], "x/b", True),
    (["a**"], "abc/d", True),
    (["**/.git"], "sub/.git/config", True),
    # single * and ? stay within one name
    (["a*"], "a/b", True),
    (["*c"], "a/c", False),
    (["a?c"], "a/c", False),
    # classes, Go style
    (["[abc].txt"], "b.txt", True),
    (["[abc].txt"], "d.txt", False),
    (["[a-c]x"], "bx", True),
    (["[^a-c]x"], "bx", False),
    (["[^a-c]x"], "dx", True),
    (["[!a]x"], "!x", True),
    (["[!a]x"], "bx", False),
    (["[\\]]"], "]", True),
    (["[\\-]"], "-", True),
    (["[z-a]"], "m", False),
    # escapes and regex metacharacters are literals
    (["\\*"], "*", True),
    (["\\*"], "a", False),
    (["a\\?b"], "a?b", True),
    (["a.b"], "axb", False),
    (["a+b(c)|{d}$^"], "a+b(c)|{d}$^", True),
    (["ünï*"], "ünïcode", True),
    # exceptions re-include; later rules win
    (["a", "!a/b"], "a/b/c", False),
    (["a", "!a/b"], "a/c", True),
    (["!a", "a"], "a", True),
    # the exception is tried on the parent dirs too, so "!a" re-includes all of a/ (moby)
    (["a/b", "!a"], "a/b/c", False),
    (["*", "!keep"], "keep", False),
    (["*", "!keep"], "keep/inner", False),
    (["*", "!keep"], "other", True),
    ([" a ", "", "  "], "a", True),
    (["./a/"], "a", True),
    (["a/../b"], "b", True),
]


@pytest.mark.parametrize(("patterns", "path", "excluded"), MATCHES)
def test_matches(patterns: list[str], path: str, excluded: bool) -> None:
    assert _excluded(patterns, path) is excluded


@pytest.mark.parametrize(
    "pattern",
    ["[", "[]", "[^]", "[a", "[a-", "[a-]", "[-a]", "[a-b-c]", "a\\", "[\\", "x[]y", "!["],
)
def test_malformed_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(InvalidParameter, match="syntax error in pattern"):
        PatternMatcher([pattern])


def test_lone_exclamation_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="illegal exclusion pattern"):
        PatternMatcher(["!"])


@pytest.mark.parametrize("pattern", ["[]a]x", "[^]a]"])
def test_a_leading_bracket_in_a_class_is_an_error_as_in_go(pattern: str) -> None:
    with pytest.raises(InvalidParameter):
        PatternMatcher([pattern])


def test_evaluate_reuses_the_parent_answer() -> None:
    matcher = PatternMatcher(["a", "!a/b"])
    excluded, hits = matcher.evaluate("a")
    assert excluded
    assert hits == (True, False)
    assert matcher.evaluate("a/b", hits)[0] is False
    assert matcher.evaluate("a/c", hits)[0] is True


def _tree(root: Path, paths: list[str]) -> None:
    for rel in paths:
        target = root / rel
        if rel.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(rel)


def test_walk_without_rules_lists_everything_sorted(tmp_path: Path) -> None:
    _tree(tmp_path, ["b.txt", "a/x", "a/y/", "Z"])
    assert list(walk_context(tmp_path, [])) == ["Z", "a", "a/x", "a/y", "b.txt"]


def test_walk_skips_excluded_dirs_and_files(tmp_path: Path) -> None:
    _tree(tmp_path, ["src/main.go", "src/x.md", "node_modules/p/i.js", "README.md", "docs/a.md"])
    rules = parse_ignore_file("node_modules\n*.md\n!README.md\n**/*.md\n!README.md\n")
    assert list(walk_context(str(tmp_path), rules)) == [
        "README.md", "docs", "src", "src/main.go",
    ]


def test_walk_enters_an_excluded_dir_only_for_a_named_exception(tmp_path: Path) -> None:
    _tree(tmp_path, ["a/keep/k", "a/drop", "b/keep/k", "b/drop"])
    rules = ["a", "b", "!a/keep", "!**/keep"]
    # a/keep is re-included (a is walked, not listed); b is skipped whole, as moby does,
    # since no exception starts with "b/"
    assert list(walk_context(tmp_path, rules)) == ["a/keep", "a/keep/k"]


def test_walk_does_not_enter_when_there_are_no_exceptions(tmp_path: Path) -> None:
    _tree(tmp_path, ["a/b"])
    (tmp_path / "a").chmod(0)
    try:
        assert list(walk_context(tmp_path, PatternMatcher(["a"]))) == []
    finally:
        (tmp_path / "a").chmod(0o755)


def test_walk_does_not_follow_symlinks(tmp_path: Path) -> None:
    _tree(tmp_path, ["real/f"])
    (tmp_path / "link").symlink_to("real")
    assert list(walk_context(tmp_path, ["real"])) == ["link"]


def test_walk_keeps_the_star_star_exception(tmp_path: Path) -> None:
    _tree(tmp_path, ["x/y/keep.txt", "x/y/drop.txt", "top.txt"])
    assert list(walk_context(tmp_path, ["**/*.txt", "!x/y/keep.txt"])) == [
        "x", "x/y", "x/y/keep.txt",
    ]


def test_keep_build_files_adds_exceptions_only_when_needed() -> None:
    assert keep_build_files(["*.md"], "Dockerfile") == ["*.md"]
    assert keep_build_files(["*"], "Dockerfile") == ["*", "!.dockerignore", "!Dockerfile"]
    assert keep_build_files(["build"], "build/Dockerfile.dev") == [
        "build", "!build/Dockerfile.dev",
    ]
    assert keep_build_files(["Dockerfile", ".dockerignore"], None) == [
        "Dockerfile", ".dockerignore", "!.dockerignore",
    ]


def test_walk_reaches_a_deep_exception_through_excluded_dirs(tmp_path: Path) -> None:
    _tree(tmp_path, ["a/b/c/f", "a/b/d", "a/e", "z"])
    assert list(walk_context(tmp_path, ["a", "!a/b/c"])) == ["a/b/c", "a/b/c/f", "z"]


def test_regexes_are_built_on_first_use() -> None:
    matcher = PatternMatcher(["*.md", "!README.md"])
    assert all(p._regex is None for p in matcher.patterns)
    assert matcher.matches("x.md")
    assert matcher.patterns[0]._regex is not None


@pytest.mark.parametrize("name", ["plain", "with space", "dots.in.name", "x+y", "(p)", "a$"])
def test_a_literal_pattern_excludes_itself_and_what_is_under_it(name: str) -> None:
    matcher = PatternMatcher([name])
    assert matcher.matches(name)
    assert matcher.matches(f"{name}/child/deeper")
    assert not matcher.matches(f"{name}x")
    assert not matcher.matches(f"up/{name}")
