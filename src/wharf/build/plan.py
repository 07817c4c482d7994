"""Which stages a build runs and in what order: the target (``--target``, else the last stage),
the stages it needs (``FROM <stage>``, ``COPY --from``, ``RUN --mount=from=``), step numbers for
``Step N/M``, and the instruction text those lines show."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from wharf.build.dockerfile import Dockerfile, DockerfileError, Instruction, Stage, expand_word
from wharf.build.dockerfile.words import flag_options
from wharf.core.errors import InvalidParameter

__all__ = ["BuildPlan", "StagePlan", "declared_args", "find_stage", "plan_build", "step_text"]


@dataclass(frozen=True)
class StagePlan:
    stage: Stage
    needs: frozenset[int]      # indexes of stages to finish first
    first_step: int            # the step number of its FROM


@dataclass(frozen=True)
class BuildPlan:
    stages: tuple[StagePlan, ...]   # the stages to build, in Dockerfile order
    target: int                     # index of the stage whose image is the result
    total_steps: int
    meta_args: tuple[Instruction, ...]
    all_stages: tuple[Stage, ...]    # every stage up to the target (for ``find_stage``)


def find_stage(stages: tuple[Stage, ...], ref: str, before: int) -> Stage | None:
    """The stage ``ref`` names (a name, or a number) among those before index ``before``."""
    if ref.isdigit():
        index = int(ref)
        return stages[index] if index < before else None
    lowered = ref.lower()
    return next((s for s in stages[:before] if s.name == lowered), None)


def _expand(word: str, env: Mapping[str, str], escape: str) -> str:
    try:
        return expand_word(word, env, escape)
    except DockerfileError:
        return word


def _references(stage: Stage, env: Mapping[str, str], escape: str) -> list[str]:
    refs = [_expand(stage.base, env, escape)]
    for inst in stage.instructions:
        source = inst.flag("from") if inst.keyword == "copy" else None
        if source:
            refs.append(_expand(source, env, escape))
        for mount in inst.flags.get("mount", ()) if inst.keyword == "run" else ():
            options = flag_options(mount)
            if options.get("from"):
                refs.append(options["from"])
    return refs


def _needs(stages: tuple[Stage, ...], stage: Stage, env: Mapping[str, str],
           escape: str) -> frozenset[int]:
    found = (find_stage(stages, ref, stage.index) for ref in _references(stage, env, escape))
    return frozenset(s.index for s in found if s is not None)


def _target_index(stages: tuple[Stage, ...], target: str) -> int:
    if not target:
        return len(stages) - 1
    lowered = target.lower()
    for stage in stages:
        if stage.name == lowered:
            return stage.index
    raise InvalidParameter(f"failed to reach build target {target} in Dockerfile")


def _with_labels(stage: Stage, labels: Mapping[str, str]) -> Stage:
    """``--label``: a LABEL step at the end of the target stage (as the classic builder)."""
    if not labels:
        return stage
    args: list[str] = []
    for key in sorted(labels):
        args += [key, labels[key]]
    text = "LABEL " + " ".join(f"{k}={labels[k]}" for k in sorted(labels))
    label = Instruction(line=0, keyword="label", args=tuple(args), original=text)
    return replace(stage, instructions=(*stage.instructions, label))


def plan_build(dockerfile: Dockerfile, target: str, meta_env: Mapping[str, str],
               labels: Mapping[str, str] | None = None) -> BuildPlan:
    stages = dockerfile.stages
    target_index = _target_index(stages, target)
    stages = (*stages[:target_index], _with_labels(stages[target_index], labels or {}))
    needs = {s.index: _needs(stages, s, meta_env, dockerfile.escape) for s in stages}
    wanted = {target_index}
    for index in range(target_index, -1, -1):
        if index in wanted:
            wanted |= needs[index]
    step = len(dockerfile.meta_args) + 1
    plans = []
    for stage in stages:
        if stage.index in wanted:
            plans.append(StagePlan(stage, needs[stage.index], step))
            step += 1 + len(stage.instructions)
    return BuildPlan(tuple(plans), target_index, step - 1, dockerfile.meta_args, stages)


def step_text(inst: Instruction, escape: str = "\\") -> str:
    """The instruction as ``Step N/M :`` shows it: as written, continuations joined, keyword
    upper-cased, heredoc bodies left out."""
    lines = inst.original.split("\n")
    if inst.heredocs:
        lines = lines[:1]
    joined = ""
    continuation = re.compile(re.escape(escape) + r"[ \t]*$")
    for raw in lines:
        if joined and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        match = continuation.search(raw)
        joined += raw[: match.start()] if match else raw
    text = joined.strip()
    keyword, _, rest = text.partition(" ")
    return f"{keyword.upper()} {rest.strip()}".strip() if rest else keyword.upper()


def declared_args(plan: BuildPlan) -> set[str]:
    """The ARG names the build's meta ARGs and planned stages declare (a ``--build-arg``
    none of them names was not consumed)."""
    instructions = [*plan.meta_args, *(i for p in plan.stages for i in p.stage.instructions)]
    return {word.partition("=")[0] for inst in instructions if inst.keyword == "arg"
            for word in inst.args}
