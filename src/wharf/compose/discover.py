"""Which compose files a command reads when no ``-f`` is given, as docker compose picks them.

``COMPOSE_FILE`` (``:``-separated, ``COMPOSE_PATH_SEPARATOR`` to change) wins; otherwise the
first of ``compose.yaml``, ``compose.yml``, ``docker-compose.yaml``, ``docker-compose.yml`` in
the working directory or the nearest parent, plus its ``override`` sibling when present.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from wharf.compose.errors import ComposeError

CANDIDATES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


def _override(found: Path) -> Path:
    stem, _, ext = found.name.rpartition(".")
    return found.with_name(f"{stem}.override.{ext}")


def _search(start: Path) -> list[Path]:
    for directory in (start, *start.parents):
        for name in CANDIDATES:
            found = directory / name
            if found.is_file():
                override = _override(found)
                return [found, override] if override.is_file() else [found]
    return []


def default_files(cwd: Path, environ: Mapping[str, str] | None = None) -> list[Path]:
    """The files to load, in order; an error in compose's words when there are none."""
    env = os.environ if environ is None else environ
    listed = env.get("COMPOSE_FILE")
    if listed:
        sep = env.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
        return [cwd / p for p in listed.split(sep) if p]
    files = _search(cwd.resolve())
    if not files:
        raise ComposeError("no configuration file provided: not found")
    return files
