"""Typed, immutable results of parsing a Dockerfile."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str
    expand: bool
    chomp: bool = False


@dataclass(frozen=True)
class Instruction:
    line: int
    keyword: str
    args: tuple[str, ...]
    json: bool = False
    flags: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    original: str = ""
    heredocs: tuple[Heredoc, ...] = ()

    def flag(self, name: str) -> str | None:
        values = self.flags.get(name)
        return values[-1] if values else None


@dataclass(frozen=True)
class Stage:
    index: int
    base: str
    name: str | None
    platform: str | None
    instructions: tuple[Instruction, ...]
    line: int


@dataclass(frozen=True)
class Dockerfile:
    escape: str
    syntax: str | None
    meta_args: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
