from pathlib import Path

import pytest

from wharf.compose.envfile import load_env_file, parse_env
from wharf.compose.errors import ComposeError


def test_plain_export_comments_and_empty() -> None:
    text = "# c\nA=1\nexport B=two\n\nC=\nD=x # trailing\nE=a#b\n"
    assert parse_env(text) == {"A": "1", "B": "two", "C": "", "D": "x", "E": "a#b"}


def test_quotes() -> None:
    text = 'A=\'lit $x \\n\'\nB="l1\\nl2 \\"q\\""\nC="x" # c\n'
    assert parse_env(text) == {"A": "lit $x \\n", "B": 'l1\nl2 "q"', "C": "x"}


def test_spaces_around_equals_and_later_wins() -> None:
    assert parse_env(" A = v \nA=w") == {"A": "w"}


def test_bad_line_names_file_and_line() -> None:
    with pytest.raises(ComposeError, match=r"x.env: line 2"):
        parse_env("A=1\nnot a var\n", "x.env")


def test_missing_file_is_empty(tmp_path: Path) -> None:
    assert load_env_file(tmp_path / ".env") == {}
    (tmp_path / ".env").write_text("K=V\n")
    assert load_env_file(tmp_path / ".env") == {"K": "V"}


def test_expansion_from_environ_then_earlier_keys() -> None:
    text = "A=x\nB=${A}-y\nC=\"$A $HOME\"\nD='$A'\nE=${NOPE:-d}\nF=$UNSET\n"
    got = parse_env(text, environ={"HOME": "/h"})
    assert got == {"A": "x", "B": "x-y", "C": "x /h", "D": "$A", "E": "d", "F": ""}
    assert parse_env("A=1\nB=$A\n", environ={"A": "env"})["B"] == "env"


def test_required_error_in_env_file_names_it(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("A=${X:?no}\n")
    with pytest.raises(ComposeError, match=r"\.env: required variable X"):
        load_env_file(tmp_path / ".env", {})


def test_multiline_quoted_and_escaped_backslash() -> None:
    text = 'K="line1\nline2"\nA="x\\\\"\nS=\'a\nb\'\nB=after\n'
    assert parse_env(text) == {"K": "line1\nline2", "A": "x\\", "S": "a\nb", "B": "after"}
