"""Which services a compose command acts on: those named (with their dependencies), else those
the active profiles enable; ``--scale SERVICE=N``."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from wharf.cli.command import CommandFailed, Context

if TYPE_CHECKING:
    from wharf.compose.model import Project


def _with_dependencies(project: Project, names: list[str]) -> set[str]:
    chosen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in chosen:
            continue
        chosen.add(name)
        todo += [d for d in project.services[name].depends_on if d in project.services]
    return chosen


def selected_project(ctx: Context, project: Project, names: list[str],
                     no_deps: bool) -> Project:
    """The project cut to the services this run acts on: those named, else every service the
    active profiles enable; with their dependencies (whatever their profiles) unless
    ``--no-deps``."""
    from wharf.cli.commands.compose_common import active_profiles
    from wharf.compose.profiles import active_services

    for name in names:
        if name not in project.services:
            raise CommandFailed(1, f"no such service: {name}")
    wanted = names or active_services(project.services, active_profiles(ctx))
    chosen = set(wanted) if no_deps else _with_dependencies(project, list(wanted))
    return replace(project, services={n: s for n, s in project.services.items() if n in chosen})


def parse_scale(values: list[str], project: Project) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        name, _, count = value.partition("=")
        if name not in project.services:
            raise CommandFailed(1, f"no such service: {name}")
        if not count.isdigit():
            raise CommandFailed(1, f"invalid scale {value!r}: expected SERVICE=NUMBER")
        out[name] = int(count)
    return out
