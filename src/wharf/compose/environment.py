"""A service's final environment: its ``env_file`` files, then ``environment`` on top.

A variable given without a value (``environment: [DEBUG]``) takes the project environment's
value (process environment over ``.env``) and is left out when that has none, as docker compose
does. A missing ``env_file`` is an error naming the service unless marked ``required: false``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from wharf.compose.envfile import parse_env
from wharf.compose.errors import ComposeError
from wharf.compose.model_service import Service


def _env_files(service: Service, project_env: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in service.env_file:
        path = Path(entry.path)
        if not path.is_file():
            if entry.required:
                raise ComposeError(f"services.{service.name}.env_file: env file {path} not found")
            continue
        out.update(parse_env(path.read_text(encoding="utf-8"), str(path), project_env))
    return out


def resolve_environment(service: Service, project_env: Mapping[str, str]) -> dict[str, str]:
    """``KEY: value`` for the container, in the order compose applies them."""
    env = _env_files(service, project_env)
    for key, value in service.environment.items():
        if value is not None:
            env[key] = value
        elif key in project_env:
            env[key] = project_env[key]
        else:
            env.pop(key, None)
    return env


def as_env_list(env: Mapping[str, str]) -> list[str]:
    """Docker's ``Env`` form, ``["K=V", ...]``."""
    return [f"{k}={v}" for k, v in env.items()]
