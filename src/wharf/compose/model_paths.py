"""Relative paths made absolute against the project directory, as ``docker compose config``
prints them: bind mount sources, build contexts and env files. URLs (git contexts) stay as is.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from wharf.compose.model_ports import VolumeMount
from wharf.compose.model_service import Service


def _abs(base: Path, path: str) -> str:
    expanded = os.path.expanduser(path)
    return os.path.normpath(expanded if os.path.isabs(expanded) else base / expanded)


def _is_url(context: str) -> bool:
    return "://" in context or context.startswith("git@")


def _mount(base: Path, mount: VolumeMount) -> VolumeMount:
    if mount.type != "bind" or not mount.source:
        return mount
    return replace(mount, source=_abs(base, mount.source))


def resolve_service_paths(service: Service, base: Path) -> Service:
    """``service`` with its relative paths resolved against ``base`` (the project directory)."""
    build = service.build
    if build is not None and not _is_url(build.context):
        build = replace(build, context=_abs(base, build.context))
    return replace(
        service,
        build=build,
        volumes=[_mount(base, m) for m in service.volumes],
        env_file=[replace(f, path=_abs(base, f.path)) for f in service.env_file],
    )
