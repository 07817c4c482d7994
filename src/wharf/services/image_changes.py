"""Dockerfile-like ``changes`` for ``docker import --change`` and ``docker commit --change``.

Each change is one instruction (CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD,
STOPSIGNAL, USER, VOLUME, WORKDIR) applied to an image's ``config`` member with Docker's rules:
JSON arrays are exec form, anything else for CMD/ENTRYPOINT is shell form
(``/bin/sh -c "<text>"``).
"""

from __future__ import annotations

import json
import posixpath
import shlex
from typing import Any

from wharf.build.gofmt import parse_go_duration
from wharf.core.errors import InvalidParameter

__all__ = ["ALLOWED_CHANGES", "apply_changes"]

ALLOWED_CHANGES = (
    "CMD",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "HEALTHCHECK",
    "LABEL",
    "ONBUILD",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
)


def apply_changes(config: dict[str, Any], changes: list[str]) -> dict[str, Any]:
    """A copy of the container ``config`` with every change applied in order."""
    out: dict[str, Any] = json.loads(json.dumps(config))
    seen: set[str] = set()
    for change in changes:
        for line in change.splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                _apply_one(out, line.strip(), seen)
    return out


def _apply_one(config: dict[str, Any], line: str, seen: set[str]) -> None:
    keyword, _, rest = line.partition(" ")
    keyword = keyword.upper()
    rest = rest.strip()
    if keyword not in ALLOWED_CHANGES:
        raise InvalidParameter(f"{keyword.lower()} is not a valid change command")
    seen.add(keyword)
    if keyword in ("CMD", "ENTRYPOINT"):
        config["Cmd" if keyword == "CMD" else "Entrypoint"] = _command(rest)
        if keyword == "ENTRYPOINT" and "CMD" not in seen:
            config["Cmd"] = None  # like a Dockerfile: ENTRYPOINT resets an inherited CMD
    elif keyword == "ENV":
        env = list(config.get("Env") or [])
        for key, value in _pairs(keyword, rest, legacy_space=True):
            env = [e for e in env if e.partition("=")[0] != key] + [f"{key}={value}"]
        config["Env"] = env
    elif keyword == "LABEL":
        labels = dict(config.get("Labels") or {})
        labels.update(_pairs(keyword, rest, legacy_space=False))
        config["Labels"] = labels
    elif keyword == "EXPOSE":
        ports = dict(config.get("ExposedPorts") or {})
        for word in _words(keyword, rest):
            ports[_port(word)] = {}
        config["ExposedPorts"] = ports
    elif keyword == "VOLUME":
        volumes = dict(config.get("Volumes") or {})
        for path in _json_list(rest) if _is_json_list(rest) else _words(keyword, rest):
            volumes[path] = {}
        config["Volumes"] = volumes
    elif keyword == "WORKDIR":
        config["WorkingDir"] = _workdir(config.get("WorkingDir") or "/", _single(keyword, rest))
    elif keyword == "USER":
        config["User"] = _single(keyword, rest)
    elif keyword == "STOPSIGNAL":
        config["StopSignal"] = _single(keyword, rest)
    elif keyword == "ONBUILD":
        config["OnBuild"] = [*(config.get("OnBuild") or []), _single(keyword, rest)]
    elif keyword == "HEALTHCHECK":
        config["Healthcheck"] = _healthcheck(rest)


_HEALTH_DURATIONS = {
    "interval": "Interval",
    "timeout": "Timeout",
    "start-period": "StartPeriod",
    "start-interval": "StartInterval",
}


def _healthcheck(text: str) -> dict[str, Any]:
    """``HEALTHCHECK NONE`` or ``HEALTHCHECK [--interval=…] … CMD <command>`` (Docker's
    ``Healthcheck``: durations in nanoseconds, zero ones left out)."""
    if text.upper() == "NONE":
        return {"Test": ["NONE"]}
    options: dict[str, Any] = {}
    while text.startswith("--"):
        flag, _, text = text.partition(" ")
        text = text.strip()
        name, sep, value = flag[2:].partition("=")
        if name in _HEALTH_DURATIONS and sep:
            nanoseconds = _go_duration(value)
            if nanoseconds:
                options[_HEALTH_DURATIONS[name]] = nanoseconds
        elif name == "retries" and sep and value.isdigit():
            if int(value):
                options["Retries"] = int(value)
        else:
            raise InvalidParameter(f"HEALTHCHECK: unknown or invalid flag: {flag}")
    kind, _, command = text.partition(" ")
    command = command.strip()
    if kind.upper() != "CMD" or not command:
        raise InvalidParameter("HEALTHCHECK requires CMD <command> or NONE")
    test = ["CMD", *_json_list(command)] if _is_json_list(command) else ["CMD-SHELL", command]
    order = ("Interval", "Timeout", "StartPeriod", "StartInterval", "Retries")
    return {"Test": test, **{key: options[key] for key in order if key in options}}


def _go_duration(text: str) -> int:
    """Go's ``time.ParseDuration`` (non-negative), in nanoseconds."""
    nanoseconds = parse_go_duration(text)
    if nanoseconds < 0:
        raise InvalidParameter(f'time: invalid duration "{text}"')
    return nanoseconds


def _is_json_list(text: str) -> bool:
    if not text.startswith("["):
        return False
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _json_list(text: str) -> list[str]:
    return [str(v) for v in json.loads(text)]


def _command(text: str) -> list[str]:
    if _is_json_list(text):
        return _json_list(text)
    if not text:
        raise InvalidParameter("CMD/ENTRYPOINT requires at least one argument")
    return ["/bin/sh", "-c", text]


def _words(keyword: str, text: str) -> list[str]:
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise InvalidParameter(f"{keyword}: {exc}") from exc
    if not words:
        raise InvalidParameter(f"{keyword} requires at least one argument")
    return words


def _single(keyword: str, text: str) -> str:
    if not text:
        raise InvalidParameter(f"{keyword} requires exactly one argument")
    words = _words(keyword, text)
    return words[0] if len(words) == 1 else text


def _pairs(keyword: str, text: str, legacy_space: bool) -> list[tuple[str, str]]:
    words = _words(keyword, text)
    if "=" not in words[0]:
        if not legacy_space or len(words) < 2:
            raise InvalidParameter(f"{keyword} names can not be blank")
        key, _, value = text.partition(" ")  # legacy "ENV KEY value with spaces"
        return [(key, value.strip())]
    pairs = []
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise InvalidParameter(
                f'Syntax error - can\'t find = in "{word}". Must be of the form: name=value'
            )
        pairs.append((key, value))
    return pairs


def _port(word: str) -> str:
    number, _, proto = word.partition("/")
    proto = (proto or "tcp").lower()
    low, _, high = number.partition("-")
    if not low.isdigit() or (high and not high.isdigit()) or proto not in ("tcp", "udp", "sctp"):
        raise InvalidParameter(f"invalid containerPort: {word}")
    if not 0 < int(low) <= 65535:
        raise InvalidParameter(f"invalid containerPort: {word}")
    return f"{number}/{proto}"


def _workdir(current: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(current, path))
