"""Stage state and the metadata instructions, applied as the classic builder applies them."""

from __future__ import annotations

import pytest

from wharf.build.dockerfile import Instruction, parse, substitute
from wharf.build.metadata import apply_metadata, nop_created_by, normalize_workdir
from wharf.build.state import DEFAULT_PATH, StageState
from wharf.core.errors import InvalidParameter


def stage_of(body: str, build_args: dict[str, str | None] | None = None,
             base: dict[str, object] | None = None) -> tuple[StageState, list[Instruction]]:
    parsed = parse("FROM x\n" + body)
    state = StageState.from_image("sha256:base", {"config": base or {}}, build_args or {}, {})
    return state, list(parsed.stages[0].instructions)


def apply_all(state: StageState, instructions: list[Instruction]) -> list[str]:
    return [apply_metadata(state, substitute(i, state.substitution_env())) for i in instructions]


def test_env_both_forms_and_history_comment() -> None:
    state, insts = stage_of("ENV A=1 B=\"two words\"\nENV C three four\nENV A=$B-x\n")
    comments = apply_all(state, insts)
    assert comments == ["ENV A=1 B=two words", "ENV C=three four", "ENV A=two words-x"]
    assert state.config["Env"] == [f"PATH={DEFAULT_PATH}", "A=two words-x", "B=two words",
                                   "C=three four"]
    assert nop_created_by(state, comments[0]) == "/bin/sh -c #(nop)  ENV A=1 B=two words"


def test_cmd_entrypoint_interplay() -> None:
    state, insts = stage_of("ENTRYPOINT [\"top\", \"-b\"]\n", base={"Cmd": ["sh"]})
    assert apply_all(state, insts) == ['ENTRYPOINT ["top" "-b"]']
    assert state.config["Cmd"] is None  # the inherited CMD goes
    state, insts = stage_of("CMD [\"-n\", \"1\"]\nENTRYPOINT top -b\n", base={"Cmd": ["sh"]})
    apply_all(state, insts)
    assert state.config["Cmd"] == ["-n", "1"]  # a CMD of this stage stays
    assert state.config["Entrypoint"] == ["/bin/sh", "-c", "top -b"]


def test_shell_changes_shell_form_and_history() -> None:
    state, insts = stage_of("SHELL [\"/bin/bash\", \"-ec\"]\nCMD echo hi\n")
    comments = apply_all(state, insts)
    assert state.config["Cmd"] == ["/bin/bash", "-ec", "echo hi"]
    assert nop_created_by(state, comments[1]) == \
        '/bin/bash -ec #(nop)  CMD ["/bin/bash" "-ec" "echo hi"]'


def test_args_defaults_build_args_and_env_precedence() -> None:
    state, insts = stage_of("ARG A=default B\nARG C\nENV B=from-env\n",
                            build_args={"A": "given", "C": None})
    comments = apply_all(state, insts)
    assert comments[0] == "ARG A=default B"
    assert state.arg_values() == {"A": "given"}  # B hidden by ENV, C has no value
    assert state.substitution_env() == {"A": "given", "B": "from-env", "PATH": DEFAULT_PATH}
    assert state.history_args() == ["A=given"]


def test_proxy_args_in_run_env_not_history() -> None:
    state, _ = stage_of("", build_args={"HTTP_PROXY": "http://127.0.0.1:3128", "X": "1"})
    assert "HTTP_PROXY=http://127.0.0.1:3128" in state.run_env()
    assert not any(a.startswith("X=") for a in state.run_env())  # X was never declared
    assert state.history_args() == []


def test_meta_arg_value_taken_by_bare_arg() -> None:
    parsed = parse("ARG V=1.2\nFROM x\nARG V\n")
    state = StageState.from_image("", {}, {}, {"V": "1.2"})
    apply_metadata(state, parsed.stages[0].instructions[0])
    assert state.arg_values() == {"V": "1.2"}


def test_expose_volume_user_stopsignal_label_maintainer_onbuild() -> None:
    state, insts = stage_of(
        "EXPOSE 80 53/udp 8000-8001\nVOLUME /data /logs\nUSER nobody\nSTOPSIGNAL SIGINT\n"
        "LABEL a=b \"c d\"=e\nMAINTAINER me <me@example.com>\nONBUILD RUN echo hi\n")
    comments = apply_all(state, insts)
    assert comments == ["EXPOSE 80 53/udp 8000-8001", "VOLUME [/data /logs]", "USER nobody",
                        "STOPSIGNAL SIGINT", "LABEL a=b c d=e",
                        "MAINTAINER me <me@example.com>", "ONBUILD RUN echo hi"]
    assert set(state.config["ExposedPorts"]) == {"80/tcp", "53/udp", "8000/tcp", "8001/tcp"}
    assert state.config["Volumes"] == {"/data": {}, "/logs": {}}
    assert state.config["Labels"] == {"a": "b", "c d": "e"}
    assert state.author == "me <me@example.com>"
    assert state.config["OnBuild"] == ["RUN echo hi"]


@pytest.mark.parametrize(("body", "message"), [
    ("EXPOSE eighty\n", "invalid containerPort: eighty"),
    ("STOPSIGNAL SIGNOPE\n", "Invalid signal: SIGNOPE"),
    ("HEALTHCHECK --retries=-1 CMD true\n", "--retries cannot be negative (-1)"),
    ("HEALTHCHECK --interval=1x CMD true\n", 'time: invalid duration "1x"'),
])
def test_bad_metadata_is_refused(body: str, message: str) -> None:
    state, insts = stage_of(body)
    with pytest.raises(InvalidParameter, match=message.replace("(", r"\(").replace(")", r"\)")):
        apply_all(state, insts)


def test_healthcheck_config_and_history() -> None:
    state, insts = stage_of("HEALTHCHECK --interval=5s --retries=3 CMD curl -f http://x/\n")
    comment = apply_all(state, insts)[0]
    assert state.config["Healthcheck"] == {
        "Test": ["CMD-SHELL", "curl -f http://x/"], "Interval": 5_000_000_000, "Retries": 3}
    assert comment == \
        "HEALTHCHECK &{[\"CMD-SHELL\" \"curl -f http://x/\"] \"5s\" \"0s\" \"0s\" '\\x03'}"
    state, insts = stage_of("HEALTHCHECK NONE\n")
    apply_all(state, insts)
    assert state.config["Healthcheck"] == {"Test": ["NONE"]}


def test_workdir_relative_to_previous() -> None:
    state, insts = stage_of("WORKDIR app\nWORKDIR sub/../lib\nWORKDIR /abs\n")
    comments = apply_all(state, insts)
    assert comments == ["WORKDIR /app", "WORKDIR /app/lib", "WORKDIR /abs"]
    assert normalize_workdir("/a", "../b") == "/b"


def test_healthcheck_start_interval() -> None:
    state, insts = stage_of("HEALTHCHECK --start-period=1m --start-interval=2s CMD [\"true\"]\n")
    apply_all(state, insts)
    assert state.config["Healthcheck"] == {"Test": ["CMD", "true"],
                                           "StartPeriod": 60_000_000_000,
                                           "StartInterval": 2_000_000_000}


def test_a_base_without_path_gets_the_default_one() -> None:
    state, _ = stage_of("", base={"Env": ["A=1"]})
    assert state.config["Env"] == ["A=1", f"PATH={DEFAULT_PATH}"]
    state, _ = stage_of("", base={"Env": ["PATH=/opt/bin"]})
    assert state.config["Env"] == ["PATH=/opt/bin"]
