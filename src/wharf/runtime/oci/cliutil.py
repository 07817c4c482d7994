"""Small pieces of the ``wharf-runtime`` command line: logging, signals, process files."""

from __future__ import annotations

import json
import signal as signals
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from wharf.runtime.oci.errors import RuntimeCreateError


def parse_signal(text: str) -> int:
    """``9``, ``KILL`` or ``SIGKILL`` → 9."""
    if text.isdigit():
        return int(text)
    name = text.upper()
    name = name if name.startswith("SIG") else "SIG" + name
    try:
        return int(signals.Signals[name])
    except KeyError as exc:
        raise RuntimeCreateError(f"unknown signal {text!r}") from exc


@dataclass
class RuntimeLog:
    """runc's ``--log``/``--log-format``: errors as logrus-style JSON lines or text lines."""

    path: str | None
    json_format: bool
    debug: bool = False

    def _write(self, level: str, message: str) -> None:
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        if self.json_format:
            line = json.dumps({"level": level, "msg": message, "time": now})
        else:
            line = f'time="{now}" level={level} msg="{message}"'
        stream: TextIO
        if self.path:
            with open(self.path, "a") as stream:
                stream.write(line + "\n")
        elif self.json_format:
            sys.stderr.write(line + "\n")

    def error(self, message: str) -> None:
        self._write("error", message)
        if self.path or not self.json_format:
            sys.stderr.write(f"wharf-runtime: {message}\n")

    def debug_message(self, message: str) -> None:
        if self.debug:
            self._write("debug", message)


def exec_process_spec(base: dict[str, Any], args: list[str], *, env: list[str], cwd: str | None,
                      tty: bool, user: str | None) -> dict[str, Any]:
    """The process for ``exec ID ARGS...`` without ``--process``: the container's own process
    with args replaced (runc does the same)."""
    process = dict(base)
    process["args"] = args
    process["env"] = list(base.get("env") or []) + env
    process["terminal"] = tty
    if cwd:
        process["cwd"] = cwd
    if user:
        uid, _, gid = user.partition(":")
        process["user"] = {"uid": int(uid), "gid": int(gid or 0)}
    from wharf.runtime.oci.config import parse_process

    parse_process(process)  # validate early
    return process


def read_json_file(path: str) -> dict[str, Any]:
    text = sys.stdin.read() if path == "-" else Path(path).read_text()
    data = json.loads(text)
    if not isinstance(data, dict):
        raise RuntimeCreateError(f"{path}: expected a JSON object")
    return data
