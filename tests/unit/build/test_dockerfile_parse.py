"""Instructions, forms, flags, stages and errors."""

import pytest

from wharf.build.dockerfile import DockerfileError, Instruction, meta_env, parse, substitute
from wharf.core.errors import InvalidParameter


def first(line: str) -> Instruction:
    return parse("FROM scratch\n" + line + "\n").stages[0].instructions[0]


@pytest.mark.parametrize("word", ["run", "Run", "RUN", "rUn"])
def test_keywords_case_insensitive(word: str) -> None:
    assert first(f"{word} true").keyword == "run"


def test_exec_and_shell_forms() -> None:
    assert first('CMD ["a", "b c"]').args == ("a", "b c")
    assert first('CMD ["a", "b c"]').json
    shell = first("CMD echo  hi")
    assert shell.args == ("echo  hi",) and not shell.json


def test_malformed_json_is_shell_form() -> None:
    inst = first("ENTRYPOINT [bash, -c]")
    assert inst.args == ("[bash, -c]",) and not inst.json


def test_shell_requires_json() -> None:
    assert first('SHELL ["/bin/sh", "-c"]').args == ("/bin/sh", "-c")
    with pytest.raises(DockerfileError, match=r"line 2.*SHELL requires"):
        first("SHELL /bin/sh -c")


def test_copy_flags() -> None:
    inst = first("COPY --from=build --chown=1:2 --link a b /c/")
    assert inst.flags == {"from": ("build",), "chown": ("1:2",), "link": ("true",)}
    assert inst.flag("from") == "build"
    assert inst.args == ("a", "b", "/c/")


def test_run_mount_repeatable() -> None:
    inst = first("RUN --mount=type=cache,target=/c --mount=type=tmpfs,target=/t make")
    assert inst.flags["mount"] == ("type=cache,target=/c", "type=tmpfs,target=/t")
    assert inst.args == ("make",)


@pytest.mark.parametrize(
    ("line", "flag"),
    [("RUN --from=x a", "from"), ("COPY --mount=x a b", "mount"), ("WORKDIR --x /a", "x"),
     ("ENV --chown=1 a=b", "chown")],
)
def test_unknown_flags_refused(line: str, flag: str) -> None:
    with pytest.raises(DockerfileError, match=f"line 2: unknown flag: {flag}$"):
        first(line)


def test_duplicate_flag_refused() -> None:
    with pytest.raises(DockerfileError, match="duplicate flag"):
        first("COPY --from=a --from=b x y")


def test_unknown_instruction_message() -> None:
    with pytest.raises(DockerfileError) as err:
        parse("FROM scratch\n\nFORM x\n")
    assert str(err.value) == "dockerfile parse error on line 3: unknown instruction: FORM"
    assert isinstance(err.value, InvalidParameter)


def test_env_and_label_pairs() -> None:
    assert first('ENV a=1 b="x y" c=z\\ w').args == ("a", "1", "b", '"x y"', "c", "z\\ w")
    assert first("ENV legacy  some value").args == ("legacy", "some value")
    assert first('LABEL "com.x"="v" k=v2').args == ('"com.x"', '"v"', "k", "v2")


def test_env_errors() -> None:
    with pytest.raises(DockerfileError, match="ENV must have two arguments"):
        first("ENV lonely")
    with pytest.raises(DockerfileError, match="can't find ="):
        first("ENV a=1 b")


@pytest.mark.parametrize(
    ("line", "message"),
    [("WORKDIR", "WORKDIR requires exactly one argument"),
     ("USER", "USER requires exactly one argument"),
     ("COPY a", "COPY requires at least two arguments"),
     ("EXPOSE", "EXPOSE requires at least one argument"),
     ("ONBUILD FROM x", "FROM isn't allowed as an ONBUILD trigger"),
     ("ONBUILD NOPE x", "unknown instruction: NOPE"),
     ("HEALTHCHECK NONE x", "HEALTHCHECK NONE takes no arguments"),
     ("HEALTHCHECK PING x", "Unknown type")],
)
def test_argument_checks(line: str, message: str) -> None:
    with pytest.raises(DockerfileError, match=message):
        first(line)


def test_healthcheck_flags() -> None:
    inst = first("HEALTHCHECK --interval=5s --retries=3 CMD curl -f x")
    assert inst.flags == {"interval": ("5s",), "retries": ("3",)}
    assert inst.args == ("CMD curl -f x",)


def test_stages_and_meta_args() -> None:
    df = parse(
        "ARG BASE=alpine\nARG V\nFROM ${BASE}:${V:-3} AS Builder\nRUN make\n"
        "FROM --platform=linux/arm64 scratch as final\nCOPY --from=builder /a /a\n"
    )
    assert [a.args for a in df.meta_args] == [("BASE=alpine",), ("V",)]
    build, final = df.stages
    assert (build.index, build.base, build.name, build.line) == (0, "${BASE}:${V:-3}", "builder", 3)
    assert (final.name, final.platform) == ("final", "linux/arm64")
    assert [i.keyword for i in final.instructions] == ["copy"]
    base = substitute(Instruction(3, "from", (build.base,)), {"BASE": "alpine"})
    assert base.args == ("alpine:3",)


def test_stage_errors() -> None:
    with pytest.raises(DockerfileError, match="line 1: no build stage"):
        parse("RUN x\nFROM scratch\n")
    with pytest.raises(DockerfileError, match="line 2: duplicate name a"):
        parse("FROM x AS a\nFROM y AS A\n")
    with pytest.raises(DockerfileError, match="invalid name"):
        parse("FROM x AS 1a\n")
    with pytest.raises(DockerfileError, match="one or three"):
        parse("FROM x y\n")
    with pytest.raises(DockerfileError, match="no instructions"):
        parse("# only a comment\n")
    with pytest.raises(DockerfileError, match="no build stage"):
        parse("ARG A\n")


def test_substitution_only_where_docker_does() -> None:
    env = {"D": "/srv", "U": "me"}
    assert substitute(first("WORKDIR $D/x"), env).args == ("/srv/x",)
    assert substitute(first("USER ${U}"), env).args == ("me",)
    assert substitute(first("RUN echo $D"), env).args == ("echo $D",)
    assert substitute(first('CMD ["$D"]'), env).args == ("$D",)
    assert substitute(first('COPY ["$D/a", "b"]'), env).args == ("/srv/a", "b")
    copy = substitute(first("COPY --chown=$U a 'b c'"), env)
    assert copy.flags["chown"] == ("me",) and copy.args == ("a", "b c")
    env_inst = substitute(first('ENV P="$D/bin" Q=\'$D\''), env)
    assert env_inst.args == ("P", "/srv/bin", "Q", "$D")


def test_whole_rest_is_one_argument() -> None:
    assert first("WORKDIR /my dir").args == ("/my dir",)
    assert first("MAINTAINER A. N. Other <a@example.com>").args == ("A. N. Other <a@example.com>",)


def test_instructions_are_frozen() -> None:
    inst = first("USER me")
    with pytest.raises(AttributeError):
        inst.keyword = "x"  # type: ignore[misc]


def test_meta_env_for_from() -> None:
    df = parse("ARG REG=docker.io\nARG IMG=$REG/alpine\nARG TAG\nFROM ${IMG}:${TAG:-latest}\n")
    env = meta_env(df, {"TAG": "3.20"})
    assert env == {"REG": "docker.io", "IMG": "docker.io/alpine", "TAG": "3.20"}
    base = substitute(Instruction(4, "from", (df.stages[0].base,)), env)
    assert base.args == ("docker.io/alpine:3.20",)
    assert meta_env(df, {})["IMG"] == "docker.io/alpine"
    assert "TAG" not in meta_env(df, {})


def test_substitution_errors_name_line_and_instruction() -> None:
    with pytest.raises(DockerfileError) as err:
        substitute(first("COPY a 'b/"), {})
    assert str(err.value).startswith("dockerfile parse error on line 2: COPY: failed to process")
    assert "single-quote" in str(err.value)
    with pytest.raises(DockerfileError, match=r"line 2: WORKDIR.*X: must be set"):
        substitute(first("WORKDIR ${X:?must be set}"), {})


def test_flag_options() -> None:
    from wharf.build.dockerfile.words import flag_options

    mount = first("RUN --mount=type=cache,target=/root/.cache,sharing=locked,ro pip").flag("mount")
    assert mount is not None
    assert flag_options(mount) == {
        "type": "cache", "target": "/root/.cache", "sharing": "locked", "ro": "true"}
