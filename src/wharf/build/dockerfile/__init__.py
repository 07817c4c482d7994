"""A pure Dockerfile parser: text in, typed instructions and stages out."""

from wharf.build.dockerfile.errors import DockerfileError
from wharf.build.dockerfile.model import Dockerfile, Heredoc, Instruction, Stage
from wharf.build.dockerfile.parser import parse
from wharf.build.dockerfile.shell import expand_word
from wharf.build.dockerfile.substitute import SUBSTITUTED, meta_env, substitute

__all__ = [
    "SUBSTITUTED",
    "Dockerfile",
    "DockerfileError",
    "Heredoc",
    "Instruction",
    "Stage",
    "expand_word",
    "meta_env",
    "parse",
    "substitute",
]
