"""The json-file log driver's rotation options (``max-size``, ``max-file``), as Docker reads them.

Three layers, later ones winning: wharf's defaults (20 MiB, 5 files: Docker keeps json-file
logs unbounded by default, the classic disk-full outage; wharf does not), the daemon's
``log-opts`` (daemon.json, ``--log-opt``), then the container's ``HostConfig.LogConfig.Config``.
Sizes are go-units ``FromHumanSize`` (decimal: ``k``/``m``/``g`` are powers of 1000), as
json-file parses them. ``max-size: "-1"`` turns rotation off (wharf's; Docker's default).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from wharf.core.errors import InvalidParameter

__all__ = [
    "DEFAULT_LOG_OPTS",
    "ROTATION_KEYS",
    "LogRotation",
    "effective_log_config",
    "log_rotation",
    "parse_size",
    "rotated_log_path",
]

ROTATION_KEYS: Final = frozenset({"max-size", "max-file"})
DEFAULT_LOG_OPTS: Final[Mapping[str, str]] = {"max-size": "20m", "max-file": "5"}

_SIZE = re.compile(r"^(\d+(?:\.\d+)?) ?([kmgtpKMGTP]?)[bB]?$")


@dataclass(frozen=True)
class LogRotation:
    """``max_size`` bytes per file (0: never rotated); ``max_files`` files kept, the live one
    included (``<log>``, ``<log>.1`` ... ``<log>.<max_files-1>``, oldest last)."""

    max_size: int
    max_files: int


def parse_size(text: str) -> int:
    """``"20m"`` → 20000000 (go-units FromHumanSize, as json-file reads ``max-size``); 400 with
    its message for anything else."""
    match = _SIZE.match(text.strip())
    if match is None:
        raise InvalidParameter(f"invalid size: '{text}'")
    number, unit = float(match[1]), match[2].lower()
    return int(number * 1000 ** ("kmgtp".index(unit) + 1 if unit else 0))


def log_rotation(*layers: Mapping[str, str]) -> LogRotation:
    """The rotation that ``DEFAULT_LOG_OPTS`` overridden by ``layers`` (in order) asks for."""
    merged: dict[str, str] = dict(DEFAULT_LOG_OPTS)
    for layer in layers:
        merged.update({k: str(v) for k, v in layer.items() if k in ROTATION_KEYS})
    size_text = merged["max-size"].strip()
    max_size = 0 if size_text == "-1" else parse_size(size_text)
    if size_text != "-1" and max_size <= 0:
        raise InvalidParameter("max-size must be a positive number")
    try:
        max_files = int(merged["max-file"])
    except ValueError:
        raise InvalidParameter(f"invalid max-file: '{merged['max-file']}'") from None
    if max_files < 1:
        raise InvalidParameter("max-file cannot be less than 1")
    return LogRotation(max_size, max_files)


def effective_log_config(
    log_config: Mapping[str, object], daemon_opts: Mapping[str, str]
) -> dict[str, object]:
    """A container's ``HostConfig.LogConfig`` as dockerd stores and shows it: for json-file,
    the daemon's defaults (wharf's, then ``log-opts``) fill the keys the container left out."""
    log_type = str(log_config.get("Type") or "json-file")
    given = log_config.get("Config")
    options = {str(k): str(v) for k, v in given.items()} if isinstance(given, Mapping) else {}
    if log_type == "json-file":
        options = {**DEFAULT_LOG_OPTS, **daemon_opts, **options}
    return {"Type": log_type, "Config": options}


def rotated_log_path(path: Path, n: int) -> Path:
    """The ``n``-th older file of the log at ``path`` (``<path>.n``; ``n`` = 0 is the log)."""
    return path.with_name(f"{path.name}.{n}") if n else path
