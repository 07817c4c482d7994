"""Which project and services a compose operation acts on, and how its containers are named
and ordered: the project file when one is found (services checked against it), ``-p NAME``
alone when there is none, as docker compose resolves them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wharf.cli.command import CommandFailed, Context
from wharf.cli.commands.compose_common import (
    Container,
    config_files,
    explicit_project_name,
    load_project,
    name_of,
    number_of,
    service_of,
)

if TYPE_CHECKING:
    from wharf.compose.model import Project


@dataclass(frozen=True)
class Target:
    """The project a command works on and the services named on its command line."""

    name: str
    project: Project | None = None
    services: list[str] = field(default_factory=list)

    def stop_timeout(self, service: str) -> int | None:
        """The service's ``stop_grace_period`` in whole seconds, when the file sets one."""
        if self.project is None or service not in self.project.services:
            return None
        grace = self.project.services[service].stop_grace_period
        return None if grace is None else int(grace)


def resolve(ctx: Context, services: list[str]) -> Target:
    """The project of ``-f``/the default files (unknown services refused as compose does:
    ``no such service: x``), or the ``-p``/``COMPOSE_PROJECT_NAME`` name without a file."""
    explicit = explicit_project_name(ctx)
    try:
        config_files(ctx)
    except CommandFailed:
        if explicit:
            return Target(explicit, None, list(services))
        raise
    project = load_project(ctx)
    for service in services:
        if service not in project.services:
            raise CommandFailed(1, f"no such service: {service}")
    return Target(explicit or project.name, project, list(services))


def short_name(container: Container, project: str) -> str:
    """``web-1`` for ``project-web-1``: the log prefix compose prints."""
    name = name_of(container)
    prefix = f"{project}-"
    return name[len(prefix):] if name.startswith(prefix) else name


def in_levels(target: Target, containers: list[Container],
              reverse: bool = False) -> list[list[Container]]:
    """Containers grouped by their service's depth in ``depends_on`` (dependencies first, or
    dependents first with ``reverse``): each group may run in parallel, as compose does."""
    from wharf.compose.order import start_levels

    depth = {} if target.project is None else start_levels(target.project.dependencies())
    levels: dict[int, list[Container]] = {}
    for container in containers:
        levels.setdefault(depth.get(service_of(container), 0), []).append(container)
    keys = sorted(levels, reverse=reverse)
    return [levels[key] for key in keys]


def pick_container(containers: list[Container], service: str, index: int) -> Container:
    """The service's container number ``index`` (0: the lowest), in compose's words when there
    is none."""
    mine = sorted((c for c in containers if service_of(c) == service), key=number_of)
    if not mine:
        raise CommandFailed(1, f"service \"{service}\" is not running")
    if index <= 0:
        return mine[0]
    for container in mine:
        if number_of(container) == index:
            return container
    raise CommandFailed(1, f"service \"{service}\" is not running container #{index}")
