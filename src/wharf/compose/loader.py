"""Loading compose files: YAML, ``.env`` + environment interpolation, ``-f`` merge, project name.

The environment seen by interpolation is the project directory's ``.env`` overlaid by the
process environment, as docker compose does. Files merge in ``-f`` order (see :mod:`merge`).
Each service remembers the last file that defined it, so model errors can name a file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wharf.compose.envfile import load_env_file
from wharf.compose.errors import ComposeError
from wharf.compose.interpolate import Warn, interpolate_tree, log
from wharf.compose.merge import merge_mappings
from wharf.compose.yamlload import load_yaml


@dataclass
class Loaded:
    """The merged, interpolated file content and what was learnt while loading it."""

    name: str
    project_dir: Path
    files: list[Path]
    data: dict[str, Any]
    env: dict[str, str]
    service_files: dict[str, str] = field(default_factory=dict)


def normalize_project_name(name: str) -> str:
    """Compose's rule: lower case, only ``[a-z0-9_-]``, starting with a letter or digit."""
    cleaned = re.sub(r"[^a-z0-9_-]", "", name.lower())
    return re.sub(r"^[_-]+", "", cleaned)


def read_yaml(path: Path) -> dict[str, Any]:
    """One file's top-level mapping; an empty file is an empty project."""
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ComposeError(f"{path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise ComposeError(f"{path}: invalid YAML: {err}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ComposeError(f"{path}: Top-level object must be a mapping")
    return data


def project_env(project_dir: Path, environ: Mapping[str, str] | None) -> dict[str, str]:
    """``.env`` of the project directory overlaid by the process environment."""
    process = os.environ if environ is None else environ
    return {**load_env_file(project_dir / ".env", process), **process}


def _load_one(path: Path, env: Mapping[str, str], warn: Warn) -> dict[str, Any]:
    try:
        data: dict[str, Any] = interpolate_tree(read_yaml(path), env,
                                                lambda message: warn(f"{path}: {message}"))
    except ComposeError as err:
        if str(err).startswith(str(path)):
            raise
        raise ComposeError(f"{path}: {err}") from None
    if not isinstance(data.get("services", {}) or {}, dict):
        raise ComposeError(f"{path}: services must be a mapping")
    return data


def _project_name(
    explicit: str | None, data: Mapping[str, Any], project_dir: Path, env: Mapping[str, str]
) -> str:
    """``-p``, then ``COMPOSE_PROJECT_NAME``, then ``name:``, then the directory's name."""
    explicit = explicit or env.get("COMPOSE_PROJECT_NAME") or None
    raw = explicit or str(data.get("name") or "") or project_dir.resolve().name
    name = normalize_project_name(raw)
    if not name:
        raise ComposeError(f"project name {raw!r} must contain a lowercase letter or digit")
    if explicit and name != explicit:
        raise ComposeError(
            f"invalid project name {explicit!r}: must consist only of lowercase alphanumeric "
            "characters, hyphens, and underscores as well as start with a letter or number"
        )
    return name


def load(
    files: Sequence[Path],
    project_name: str | None = None,
    environ: Mapping[str, str] | None = None,
    warn: Warn = log.warning,
) -> Loaded:
    """Load ``files`` (``-f`` order) into one :class:`Loaded` project."""
    if not files:
        raise ComposeError("no configuration file provided: not found")
    project_dir = files[0].parent
    env = project_env(project_dir, environ)
    merged: dict[str, Any] = {}
    service_files: dict[str, str] = {}
    for path in files:
        data = _load_one(path, env, warn)
        for svc in data.get("services") or {}:
            service_files[str(svc)] = str(path)
        merged = merge_mappings(merged, data)
    name = _project_name(project_name, merged, project_dir, env)
    return Loaded(name, project_dir, list(files), merged, env, service_files)
