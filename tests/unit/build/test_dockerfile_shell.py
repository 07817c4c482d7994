"""Variable substitution as Docker's shell lexer does it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wharf.build.dockerfile import DockerfileError, expand_word

ENV = {"v": "val", "empty": "", "PATH": "/bin"}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("$v", "val"),
        ("${v}", "val"),
        ("x${v}y", "xvaly"),
        ("$v/x", "val/x"),
        ("$missing", ""),
        ("${missing:-dflt}", "dflt"),
        ("${empty:-dflt}", "dflt"),
        ("${empty-dflt}", ""),
        ("${missing-dflt}", "dflt"),
        ("${v:-dflt}", "val"),
        ("${v:+alt}", "alt"),
        ("${empty:+alt}", ""),
        ("${empty+alt}", "alt"),
        ("${missing+alt}", ""),
        ("${missing:-$v}", "val"),
        ("'$v'", "$v"),
        ('"$v"', "val"),
        ('"a b"', "a b"),
        ("\\$v", "$v"),
        ('"\\$v"', "$v"),
        ('"\\n"', "\\n"),
        ("a\\ b", "a b"),
        ("$", "$"),
        ("$1", ""),
        ("$12", "2"),
        ("${PATH}:/usr/bin", "/bin:/usr/bin"),
    ],
)
def test_expand(word: str, expected: str) -> None:
    assert expand_word(word, ENV) == expected


def test_backtick_escape() -> None:
    assert expand_word("`$v", ENV, escape="`") == "$v"
    assert expand_word("c:\\dir", ENV, escape="`") == "c:\\dir"


@pytest.mark.parametrize("word", ["'open", '"open', "${v", "${v%x}", "${}", "${missing:?}"])
def test_errors(word: str) -> None:
    with pytest.raises(DockerfileError):
        expand_word(word, ENV)


@given(st.text(alphabet=st.characters(blacklist_characters="$'\"\\")))
def test_plain_words_unchanged(word: str) -> None:
    assert expand_word(word, ENV) == word


@given(st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,8}", fullmatch=True), st.text(alphabet="abc /:"))
def test_braced_value(name: str, value: str) -> None:
    assert expand_word("${" + name + "}", {name: value}) == value
    assert expand_word("'${" + name + "}'", {name: value}) == "${" + name + "}"
