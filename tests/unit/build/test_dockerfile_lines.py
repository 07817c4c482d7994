"""Directives, comments, continuations and heredocs."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wharf.build.dockerfile import DockerfileError, Instruction, parse


def only(source: str) -> tuple[Instruction, ...]:
    return parse(source).stages[0].instructions


def test_escape_directive_backtick() -> None:
    df = parse("# escape=`\nFROM scratch\nRUN echo a `\n  b\nCOPY c:\\a c:\\b\n")
    assert df.escape == "`"
    run, copy = df.stages[0].instructions
    assert run.args == ("echo a   b",)
    assert run.line == 3
    assert copy.args == ("c:\\a", "c:\\b")


def test_syntax_directive_accepted() -> None:
    df = parse("# syntax=docker/dockerfile:1\n# escape=\\\nFROM scratch\n")
    assert df.syntax == "docker/dockerfile:1"
    assert df.escape == "\\"


def test_directive_after_comment_is_a_comment() -> None:
    df = parse("# hello\n# escape=`\nFROM scratch\nRUN a \\\n b\n")
    assert df.escape == "\\"
    assert df.stages[0].instructions[0].args == ("a  b",)


def test_directive_after_instruction_is_a_comment() -> None:
    assert parse("FROM scratch\n# escape=`\n").escape == "\\"


def test_directive_case_and_spaces() -> None:
    assert parse("#  ESCAPE = `\nFROM scratch\n").escape == "`"


def test_duplicate_directive_refused() -> None:
    with pytest.raises(DockerfileError, match="only one escape parser directive"):
        parse("# escape=`\n# escape=\\\nFROM scratch\n")


def test_bad_escape_refused() -> None:
    with pytest.raises(DockerfileError):
        parse("# escape=x\nFROM scratch\n")


def test_comments_and_blank_lines_skipped() -> None:
    insts = only("\n# c\nFROM scratch\n\n   # indented\nENV a=b\n")
    assert [i.keyword for i in insts] == ["env"]
    assert insts[0].line == 6


def test_comment_lines_inside_continuation() -> None:
    (run,) = only("FROM scratch\nRUN apt-get update \\\n# a comment\n    && echo ok\n")
    assert run.args == ("apt-get update     && echo ok",)
    assert run.line == 2


def test_empty_line_inside_continuation() -> None:
    (run,) = only("FROM scratch\nRUN a \\\n\nb\n")
    assert run.args == ("a b",)


def test_trailing_whitespace_after_escape() -> None:
    (run,) = only("FROM scratch\nRUN a \\  \nb\n")
    assert run.args == ("a b",)


def test_crlf() -> None:
    (run,) = only("FROM scratch\r\nRUN a \\\r\nb\r\n")
    assert run.args == ("a b",)


def test_heredoc_run() -> None:
    (run,) = only("FROM scratch\nRUN <<EOF\necho $a\necho b\nEOF\n")
    assert run.args == ("<<EOF",)
    (doc,) = run.heredocs
    assert doc.name == "EOF" and doc.content == "echo $a\necho b\n" and doc.expand


def test_heredoc_tab_stripping_and_quoted() -> None:
    (run,) = only("FROM scratch\nRUN <<-'END'\n\t\techo $x\n\tEND\n")
    (doc,) = run.heredocs
    assert doc.content == "echo $x\n"
    assert not doc.expand and doc.chomp


def test_heredoc_copy_several() -> None:
    src = "FROM scratch\nCOPY <<a.txt <<\"b.txt\" /dest/\nA\na.txt\nB\nb.txt\nUSER me\n"
    copy, user = only(src)
    assert copy.args == ("<<a.txt", '<<"b.txt"', "/dest/")
    assert [(d.name, d.content, d.expand) for d in copy.heredocs] == [
        ("a.txt", "A\n", True), ("b.txt", "B\n", False)]
    assert user.line == 7


def test_heredoc_ignored_for_other_instructions() -> None:
    (label,) = only("FROM scratch\nLABEL a=<<EOF\n")
    assert label.heredocs == ()


def test_unterminated_heredoc() -> None:
    with pytest.raises(DockerfileError, match="EOF"):
        parse("FROM scratch\nRUN <<EOF\necho\n")


def test_original_text_kept() -> None:
    (run,) = only("FROM scratch\nRUN a \\\n  b\n")
    assert run.original == "RUN a \\\n  b"


def test_check_directive_accepted() -> None:
    assert parse("# check=skip=JSONArgsRecommended\n# escape=`\nFROM scratch\n").escape == "`"


def test_unknown_directive_ends_directives() -> None:
    assert parse("# unknowndirective=value\n# escape=`\nFROM scratch\n").escape == "\\"


_WORD = st.text(alphabet="abcXYZ019-_./=", min_size=1, max_size=8)


@given(st.lists(st.lists(_WORD, min_size=1, max_size=4), min_size=1, max_size=5))
def test_continuations_join_like_one_line(chunks: list[list[str]]) -> None:
    pieces = [" ".join("w" + w for w in words) for words in chunks]
    (run,) = only("FROM scratch\nRUN " + " \\\n".join(pieces) + "\n")
    assert run.args == (" ".join(pieces),)
    assert run.line == 2


@given(st.lists(_WORD.filter(lambda w: w != "EOF"), min_size=1, max_size=4),
       st.sampled_from(["", "-"]))
def test_heredoc_body_round_trips(body: list[str], dash: str) -> None:
    prefix = "\t" if dash else ""
    lines = "".join(prefix + line + "\n" for line in body)
    (run,) = only(f"FROM scratch\nRUN <<{dash}EOF\n{lines}{prefix}EOF\n")
    assert run.heredocs[0].content == "".join(line + "\n" for line in body)


def test_heredoc_keeps_comments_and_blank_lines() -> None:
    src = "FROM scratch\nRUN python3 <<EOF\n# not a comment here\n\nprint(1)\nEOF\nUSER a\n"
    run, user = only(src)
    assert run.args == ("python3 <<EOF",)
    assert run.heredocs[0].content == "# not a comment here\n\nprint(1)\n"
    assert user.line == 7


def test_heredoc_after_continuation() -> None:
    (run,) = only("FROM scratch\nRUN --mount=type=tmpfs,target=/t \\\n  sh <<EOF\nls\nEOF\n")
    assert run.flags == {"mount": ("type=tmpfs,target=/t",)}
    assert run.args == ("sh <<EOF",)
    assert run.heredocs[0].content == "ls\n"


def test_heredoc_marker_inside_quotes_is_text() -> None:
    (run,) = only("FROM scratch\nRUN echo 'a <<EOF' \"x<<Y\"\n")
    assert run.heredocs == ()


def test_heredoc_attached_to_command() -> None:
    (run,) = only("FROM scratch\nRUN cat<<EOF\nhi\nEOF\n")
    assert run.heredocs[0].content == "hi\n"
