"""The Dockerfile parser entry point: text to meta ARGs and build stages."""

import re

from wharf.build.dockerfile.errors import DockerfileError
from wharf.build.dockerfile.instructions import instruction
from wharf.build.dockerfile.lines import logical_lines
from wharf.build.dockerfile.model import Dockerfile, Instruction, Stage

_STAGE_NAME = re.compile(r"^[a-z][a-z0-9_.-]*$")


def _stage(index: int, start: Instruction, body: list[Instruction]) -> Stage:
    name = start.args[2].lower() if len(start.args) == 3 else None
    if name is not None and not _STAGE_NAME.match(name):
        raise DockerfileError.at(start.line, f"invalid name for build stage: {start.args[2]!r}, "
                                 "name can't start with a number or contain symbols")
    return Stage(index=index, base=start.args[0], name=name, platform=start.flag("platform"),
                 instructions=tuple(body), line=start.line)


def _group(instructions: list[Instruction]) -> tuple[list[Instruction], list[Stage]]:
    meta: list[Instruction] = []
    stages: list[Stage] = []
    current: tuple[Instruction, list[Instruction]] | None = None
    for inst in instructions:
        if inst.keyword == "from":
            if current is not None:
                stages.append(_stage(len(stages), *current))
            current = (inst, [])
        elif current is not None:
            current[1].append(inst)
        elif inst.keyword == "arg":
            meta.append(inst)
        else:
            raise DockerfileError.at(inst.line, "no build stage in current context")
    if current is not None:
        stages.append(_stage(len(stages), *current))
    return meta, stages


def _check_names(stages: list[Stage]) -> None:
    seen: set[str] = set()
    for stage in stages:
        if stage.name is None:
            continue
        if stage.name in seen:
            raise DockerfileError.at(stage.line, f"duplicate name {stage.name}")
        seen.add(stage.name)


def parse(source: str) -> Dockerfile:
    """Parse a whole Dockerfile; raise DockerfileError on any mistake."""
    directives, lines = logical_lines(source)
    instructions = [instruction(line, directives.escape) for line in lines]
    if not instructions:
        raise DockerfileError("file with no instructions")
    meta, stages = _group(instructions)
    if not stages:
        raise DockerfileError("no build stage in current context")
    _check_names(stages)
    return Dockerfile(escape=directives.escape, syntax=directives.syntax,
                      meta_args=tuple(meta), stages=tuple(stages))
