"""The stage plan: target, needed stages, step numbers and step text."""

from __future__ import annotations

import pytest

from wharf.build.dockerfile import parse
from wharf.build.plan import plan_build, step_text
from wharf.core.errors import InvalidParameter

MULTI = """\
ARG BASE=busybox
FROM $BASE AS unused
RUN exit 1
FROM busybox AS builder
RUN make
FROM builder AS tested
RUN test
FROM busybox AS final
COPY --from=tested /out /out
COPY --from=1 /x /x
FROM final AS after
"""


def test_target_needs_only_its_stages() -> None:
    plan = plan_build(parse(MULTI), "final", {"BASE": "busybox"})
    assert [p.stage.name for p in plan.stages] == ["builder", "tested", "final"]
    assert plan.target == 3
    assert dict((p.stage.name, sorted(p.needs)) for p in plan.stages) == {
        "builder": [], "tested": [1], "final": [1, 2]}
    # steps: the meta ARG, then builder (2), tested (2), final (3)
    assert [p.first_step for p in plan.stages] == [2, 4, 6]
    assert plan.total_steps == 8


def test_default_target_is_the_last_stage_and_labels_add_a_step() -> None:
    plan = plan_build(parse(MULTI), "", {}, {"b": "2", "a": "1"})
    assert plan.stages[-1].stage.name == "after"
    last = plan.stages[-1].stage.instructions[-1]
    assert (last.keyword, last.args, last.original) == ("label", ("a", "1", "b", "2"),
                                                        "LABEL a=1 b=2")


def test_unknown_target() -> None:
    with pytest.raises(InvalidParameter, match="failed to reach build target nope in Dockerfile"):
        plan_build(parse(MULTI), "nope", {})


def test_step_text_as_written() -> None:
    parsed = parse("from busybox\nrun echo $HOME \\\n  && true\nCOPY <<EOF /x\nhi\nEOF\n")
    run, copy = parsed.stages[0].instructions
    assert step_text(run) == "RUN echo $HOME   && true"
    assert step_text(copy) == "COPY <<EOF /x"
