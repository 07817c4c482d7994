"""The instructions that change only the image config (ENV, LABEL, CMD, ENTRYPOINT, EXPOSE,
VOLUME, USER, WORKDIR, STOPSIGNAL, HEALTHCHECK, SHELL, ONBUILD, MAINTAINER, ARG), applied to a
stage's state as the classic builder applies them, each returning its history comment."""

from __future__ import annotations

import posixpath
import re
import signal
from collections.abc import Callable

from wharf.build.dockerfile import Instruction
from wharf.build.dockerfile.words import parse_json
from wharf.build.gofmt import go_duration, go_quote_list, parse_go_duration
from wharf.build.state import StageState
from wharf.core.errors import InvalidParameter

__all__ = ["METADATA_KEYWORDS", "apply_metadata", "nop_created_by", "normalize_workdir"]

_PORT = re.compile(r"^(\d+)(?:-(\d+))?(?:/(tcp|udp|sctp))?$", re.IGNORECASE)
_RUNE_ESCAPES = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r",
                 39: "\\'", 92: "\\\\"}


def nop_created_by(state: StageState, comment: str) -> str:
    """A metadata step's history line: ``/bin/sh -c #(nop)  CMD ["sh"]``."""
    return " ".join([*state.shell(), "#(nop) ", comment])


def normalize_workdir(current: str, requested: str) -> str:
    if not requested:
        raise InvalidParameter("cannot normalize nothing")
    if requested.startswith("/"):
        return requested
    return posixpath.normpath(posixpath.join("/", current, requested))


def _command(state: StageState, inst: Instruction) -> list[str]:
    if inst.json:
        return list(inst.args)
    return [*state.shell(), inst.args[0] if inst.args else ""]


def _env(state: StageState, inst: Instruction) -> str:
    pairs = list(zip(inst.args[::2], inst.args[1::2], strict=True))
    for key, value in pairs:
        state.set_env(key, value)
    return "ENV " + " ".join(f"{k}={v}" for k, v in pairs)


def _label(state: StageState, inst: Instruction) -> str:
    pairs = list(zip(inst.args[::2], inst.args[1::2], strict=True))
    labels = dict(state.config.get("Labels") or {})
    labels.update(pairs)
    state.config["Labels"] = labels
    return "LABEL " + " ".join(f"{k}={v}" for k, v in pairs)


def _cmd(state: StageState, inst: Instruction) -> str:
    state.config["Cmd"] = _command(state, inst)
    state.cmd_set = True
    return "CMD " + go_quote_list(state.config["Cmd"])


def _entrypoint(state: StageState, inst: Instruction) -> str:
    state.config["Entrypoint"] = _command(state, inst)
    if not state.cmd_set:  # an ENTRYPOINT drops the CMD it inherited
        state.config["Cmd"] = None
    return "ENTRYPOINT " + go_quote_list(state.config["Entrypoint"])


def _expose(state: StageState, inst: Instruction) -> str:
    ports = dict(state.config.get("ExposedPorts") or {})
    for word in inst.args:
        match = _PORT.match(word)
        if match is None:
            raise InvalidParameter(f"invalid containerPort: {word}")
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if last < first or last > 65535:
            raise InvalidParameter(f"invalid containerPort: {word}")
        proto = (match.group(3) or "tcp").lower()
        for port in range(first, last + 1):
            ports[f"{port}/{proto}"] = {}
    state.config["ExposedPorts"] = ports
    return "EXPOSE " + " ".join(inst.args)


def _volume(state: StageState, inst: Instruction) -> str:
    volumes = dict(state.config.get("Volumes") or {})
    for path in inst.args:
        if not path.strip():
            raise InvalidParameter("VOLUME specified can not be an empty string")
        volumes[path] = {}
    state.config["Volumes"] = volumes
    return "VOLUME [" + " ".join(inst.args) + "]"


def _user(state: StageState, inst: Instruction) -> str:
    state.config["User"] = inst.args[0]
    return "USER " + inst.args[0]


def _workdir(state: StageState, inst: Instruction) -> str:
    workdir = normalize_workdir(state.workdir(), inst.args[0])
    state.config["WorkingDir"] = workdir
    return "WORKDIR " + workdir


def _stopsignal(state: StageState, inst: Instruction) -> str:
    text = inst.args[0]
    name = text.upper().removeprefix("SIG")
    valid = (text.isdigit() and 0 < int(text) < 65) or hasattr(signal.Signals, "SIG" + name)
    if not valid:
        raise InvalidParameter(f"Invalid signal: {text}")
    state.config["StopSignal"] = text
    return "STOPSIGNAL " + text


def _go_rune(value: int) -> str:
    if value in _RUNE_ESCAPES:
        return f"'{_RUNE_ESCAPES[value]}'"
    if 0x20 <= value < 0x7F:
        return f"'{chr(value)}'"
    return f"'\\x{value:02x}'" if value < 0x80 else f"'\\u{value:04x}'"


def _duration_flag(inst: Instruction, name: str) -> int:
    text = inst.flag(name)
    if text is None or text == "":
        return 0
    value = parse_go_duration(text)
    if value < 0:
        raise InvalidParameter(f"Interval {name} cannot be less than 0s")
    if 0 < value < 1_000_000:
        raise InvalidParameter(f'Interval "{name}" cannot be less than 1ms')
    return value


def _healthcheck(state: StageState, inst: Instruction) -> str:
    kind, _, rest = inst.args[0].strip().partition(" ")
    if kind.upper() == "NONE":
        check: dict[str, object] = {"Test": ["NONE"]}
        state.config["Healthcheck"] = check
        return "HEALTHCHECK &{[\"NONE\"] \"0s\" \"0s\" \"0s\" '\\x00'}"
    rest = rest.strip()
    exec_form = parse_json(rest)
    test = ["CMD", *exec_form] if exec_form is not None else ["CMD-SHELL", rest]
    durations = [_duration_flag(inst, n) for n in ("interval", "timeout", "start-period")]
    start_interval = _duration_flag(inst, "start-interval")
    retries_text = inst.flag("retries") or "0"
    try:
        retries = int(retries_text)
    except ValueError:
        raise InvalidParameter(f'strconv.ParseInt: parsing "{retries_text}": invalid syntax') \
            from None
    if retries < 0:
        raise InvalidParameter(f"--retries cannot be negative ({retries})")
    check = {"Test": test}
    for key, value in zip(("Interval", "Timeout", "StartPeriod"), durations, strict=True):
        if value:
            check[key] = value
    if start_interval:
        check["StartInterval"] = start_interval
    if retries:
        check["Retries"] = retries
    state.config["Healthcheck"] = check
    shown = " ".join(f'"{go_duration(d)}"' for d in durations)
    return f"HEALTHCHECK &{{{go_quote_list(test)} {shown} {_go_rune(retries)}}}"


def _shell(state: StageState, inst: Instruction) -> str:
    state.config["Shell"] = list(inst.args)
    return "SHELL " + go_quote_list(list(inst.args))


def _onbuild(state: StageState, inst: Instruction) -> str:
    trigger = inst.args[0].strip()
    state.config["OnBuild"] = [*(state.config.get("OnBuild") or []), trigger]
    return "ONBUILD " + trigger


def _maintainer(state: StageState, inst: Instruction) -> str:
    state.author = inst.args[0]
    return "MAINTAINER " + inst.args[0]


def _arg(state: StageState, inst: Instruction) -> str:
    shown = []
    for word in inst.args:
        name, default = state.declare_arg(word)
        shown.append(name if default is None else f"{name}={default}")
    return "ARG " + " ".join(shown)


_HANDLERS: dict[str, Callable[[StageState, Instruction], str]] = {
    "env": _env, "label": _label, "cmd": _cmd, "entrypoint": _entrypoint, "expose": _expose,
    "volume": _volume, "user": _user, "workdir": _workdir, "stopsignal": _stopsignal,
    "healthcheck": _healthcheck, "shell": _shell, "onbuild": _onbuild,
    "maintainer": _maintainer, "arg": _arg,
}
METADATA_KEYWORDS = frozenset(_HANDLERS)


def apply_metadata(state: StageState, inst: Instruction) -> str:
    """Apply ``inst`` (already substituted) to ``state``; the history comment it makes."""
    return _HANDLERS[inst.keyword](state, inst)
