"""Applying variable substitution to the instructions Docker applies it to."""

import dataclasses
from collections.abc import Mapping

from wharf.build.dockerfile.errors import DockerfileError
from wharf.build.dockerfile.model import Dockerfile, Instruction
from wharf.build.dockerfile.shell import expand_word

# RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK and ONBUILD are left to the shell / later.
SUBSTITUTED = frozenset({
    "add", "arg", "copy", "env", "expose", "from", "label",
    "stopsignal", "user", "volume", "workdir",
})
_FLAGS_SUBSTITUTED = frozenset({"from", "chown", "chmod", "platform"})


def substitute(inst: Instruction, env: Mapping[str, str], escape: str = "\\") -> Instruction:
    """*inst* with its words expanded against *env*, as the builder would see it."""
    if inst.keyword not in SUBSTITUTED:
        return inst
    args = tuple(_word(a, inst, env, escape) for a in inst.args)
    flags = {k: tuple(_word(v, inst, env, escape) for v in vs) if k in _FLAGS_SUBSTITUTED else vs
             for k, vs in inst.flags.items()}
    return dataclasses.replace(inst, args=args, flags=flags)


def _word(word: str, inst: Instruction, env: Mapping[str, str], escape: str) -> str:
    try:
        return _expand(word, inst, env, escape)
    except DockerfileError as err:
        message = f"{inst.keyword.upper()}: failed to process {word!r}: {err}"
        raise DockerfileError.at(inst.line, message) from None


def _expand(word: str, inst: Instruction, env: Mapping[str, str], escape: str) -> str:
    if inst.json and inst.keyword in ("copy", "add", "volume"):
        return _json_word(word, env)
    return expand_word(word, env, escape)


def _json_word(word: str, env: Mapping[str, str]) -> str:
    # Exec-form words were unquoted by JSON already; only ``$`` is processed.
    return expand_word(word.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"'), env)


def meta_env(dockerfile: Dockerfile, build_args: Mapping[str, str]) -> dict[str, str]:
    """The ARGs declared before the first FROM, as FROM lines see them."""
    env: dict[str, str] = {}
    for inst in dockerfile.meta_args:
        for word in inst.args:
            name, eq, default = word.partition("=")
            if name in build_args:
                env[name] = build_args[name]
            elif eq:
                env[name] = expand_word(default, env, dockerfile.escape)
    return env
