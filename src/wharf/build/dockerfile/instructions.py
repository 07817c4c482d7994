"""One logical line to one typed Instruction, checked as Docker checks it."""

from wharf.build.dockerfile.errors import DockerfileError
from wharf.build.dockerfile.lines import LogicalLine
from wharf.build.dockerfile.model import Instruction
from wharf.build.dockerfile.words import key_values, parse_json, split_flags, split_words

_FLAGS: dict[str, frozenset[str]] = {
    "from": frozenset({"platform"}),
    "run": frozenset({"mount", "network", "security"}),
    "copy": frozenset({"from", "chown", "chmod", "link", "parents", "exclude"}),
    "add": frozenset({"chown", "chmod", "link", "keep-git-dir", "checksum", "exclude"}),
    "healthcheck": frozenset({"interval", "timeout", "start-period", "start-interval", "retries"}),
}
_REPEATABLE = frozenset({"mount", "exclude"})
KEYWORDS = frozenset({
    "add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "healthcheck",
    "label", "maintainer", "onbuild", "run", "shell", "stopsignal", "user", "volume", "workdir",
})
_JSON_OR_SHELL = frozenset({"run", "cmd", "entrypoint"})
_JSON_OR_WORDS = frozenset({"copy", "add", "volume"})
# The rest of the line is one argument for these, spaces and all.
_ONE_ARG = frozenset({"workdir", "user", "stopsignal", "maintainer"})
_AT_LEAST_ONE = frozenset({"arg", "expose", "volume", "onbuild", "run"})


def _flags(keyword: str, text: str, line: int) -> tuple[dict[str, tuple[str, ...]], str]:
    pairs, rest = split_flags(text)
    allowed = _FLAGS.get(keyword, frozenset())
    flags: dict[str, tuple[str, ...]] = {}
    for name, value in pairs:
        if name not in allowed:
            raise DockerfileError.at(line, f"unknown flag: {name}")
        if name in flags and name not in _REPEATABLE:
            raise DockerfileError.at(line, f"duplicate flag specified: {name}")
        flags[name] = (*flags.get(name, ()), value)
    return flags, rest


def _args(keyword: str, rest: str, escape: str, line: int) -> tuple[tuple[str, ...], bool]:
    exec_form = parse_json(rest)
    takes_json = keyword in _JSON_OR_SHELL or keyword in _JSON_OR_WORDS or keyword == "shell"
    if takes_json and exec_form is not None:
        return exec_form, True
    if keyword == "shell":
        raise DockerfileError.at(line, "SHELL requires the arguments to be in JSON form")
    if keyword in _JSON_OR_SHELL:
        return ((rest,) if rest else ()), False
    if keyword in ("env", "label"):
        return key_values(rest, escape, keyword, line), False
    if keyword in ("onbuild", "healthcheck") or keyword in _ONE_ARG:
        return ((rest,) if rest else ()), False
    return tuple(split_words(rest, escape)), False


def _check(keyword: str, args: tuple[str, ...], line: int) -> None:
    upper = keyword.upper()
    if keyword in _ONE_ARG and len(args) != 1:
        raise DockerfileError.at(line, f"{upper} requires exactly one argument")
    if keyword in _AT_LEAST_ONE and not args:
        raise DockerfileError.at(line, f"{upper} requires at least one argument")
    if keyword in ("copy", "add") and len(args) < 2:
        raise DockerfileError.at(line, f"{upper} requires at least two arguments")
    if keyword == "from" and len(args) not in (1, 3):
        raise DockerfileError.at(line, "FROM requires either one or three arguments")
    if keyword == "from" and len(args) == 3 and args[1].lower() != "as":
        raise DockerfileError.at(line, "FROM requires either one or three arguments")
    if keyword == "onbuild":
        _check_onbuild(args[0], line)
    if keyword == "healthcheck":
        _check_healthcheck(args, line)


def _check_onbuild(text: str, line: int) -> None:
    inner = text.split(None, 1)[0].lower()
    if inner in ("onbuild", "from", "maintainer"):
        raise DockerfileError.at(line, f"{inner.upper()} isn't allowed as an ONBUILD trigger")
    if inner not in KEYWORDS:
        raise DockerfileError.at(line, f"unknown instruction: {inner.upper()}")


def _check_healthcheck(args: tuple[str, ...], line: int) -> None:
    kind = args[0].split(None, 1)[0].upper() if args else ""
    if kind == "NONE" and args[0].strip().upper() != "NONE":
        raise DockerfileError.at(line, "HEALTHCHECK NONE takes no arguments")
    if kind not in ("NONE", "CMD"):
        raise DockerfileError.at(line, f"Unknown type {kind!r} in HEALTHCHECK (try CMD)")


def instruction(logical: LogicalLine, escape: str) -> Instruction:
    """Parse one logical line into an Instruction."""
    word, rest = [*logical.text.split(None, 1), ""][:2]
    keyword = word.lower()
    if keyword not in KEYWORDS:
        raise DockerfileError.at(logical.line, f"unknown instruction: {word.upper()}")
    flags, rest = _flags(keyword, rest, logical.line)
    args, is_json = _args(keyword, rest, escape, logical.line)
    _check(keyword, args, logical.line)
    return Instruction(
        line=logical.line, keyword=keyword, args=args, json=is_json, flags=flags,
        original=logical.original, heredocs=logical.heredocs,
    )
