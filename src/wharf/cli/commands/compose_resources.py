"""The project's networks and volumes on the engine: created when missing (an external one
that is missing is an error naming it), and found by Compose's labels for ``down``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wharf.cli.command import CommandFailed, Context

if TYPE_CHECKING:
    from collections.abc import Callable

    from wharf.cli.commands.compose_progress import Progress
    from wharf.compose.model import Project


def _found(lookup: Callable[[str], dict[str, Any]], name: str) -> dict[str, Any] | None:
    from wharf.core.errors import NotFound

    try:
        return lookup(name)
    except NotFound:
        return None


def _foreign(found: dict[str, Any], project: Project) -> bool:
    from wharf.compose.labels import PROJECT

    return (found.get("Labels") or {}).get(PROJECT) != project.name


def ensure_networks(ctx: Context, project: Project, progress: Progress) -> None:
    from wharf.compose.resources import changed_since, network_body, network_name, used_networks

    networks = ctx.client().networks
    for key, res in used_networks(project).items():
        name = network_name(project, key)
        found = _found(networks.inspect, name)
        if found is not None:
            if not res.external and _foreign(found, project):
                progress.warn(f"a network with name {name} exists but was not created by "
                              "compose.\nSet `external: true` to use an existing network")
            elif not res.external and changed_since(found, network_body(project, key, res)):
                raise CommandFailed(1, f"network {name} has changed in the compose file "
                                       "(driver, options or ipam); recreating a network is not "
                                       "supported yet: run 'wharf compose down' first")
            continue
        if res.external:
            raise CommandFailed(1, f"network {name} declared as external, but could not be "
                                   "found")
        networks.create(network_body(project, key, res))
        progress.done(f"Network {name}", "Created")


def ensure_volumes(ctx: Context, project: Project, progress: Progress) -> None:
    from wharf.compose.resources import changed_since, used_volumes, volume_body, volume_name

    volumes = ctx.client().volumes
    for key, res in used_volumes(project).items():
        name = volume_name(project, key)
        found = _found(volumes.inspect, name)
        if found is not None:
            if not res.external and _foreign(found, project):
                progress.warn(f'volume "{name}" already exists but was not created by Docker '
                              "Compose. Use `external: true` to use an existing volume")
            elif not res.external and changed_since(found, volume_body(project, key, res)):
                raise CommandFailed(1, f"volume {name} has changed in the compose file (driver "
                                       "or driver_opts); wharf does not recreate volumes: "
                                       "remove it ('wharf compose down -v') to apply it")
            continue
        if res.external:
            raise CommandFailed(1, f"external volume \"{name}\" not found")
        body = volume_body(project, key, res)
        volumes.create(body["Name"], body["Driver"], body["DriverOpts"], body["Labels"])
        progress.done(f"Volume {name}", "Created")


def _project_label(project: str) -> dict[str, list[str]]:
    from wharf.compose.labels import PROJECT

    return {"label": [f"{PROJECT}={project}"]}


def remove_networks(ctx: Context, project: str, progress: Progress) -> None:
    """Every network labelled with the project (whatever the file says now)."""
    from wharf.core.errors import WharfError

    networks = ctx.client().networks
    for net in sorted(networks.list(_project_label(project)), key=lambda n: str(n["Name"])):
        try:
            networks.remove(str(net["Id"]))
        except WharfError as exc:
            progress.error(f"Network {net['Name']}", f"Error: {exc}")
            continue
        progress.done(f"Network {net['Name']}", "Removed")


def remove_volumes(ctx: Context, project: str, progress: Progress) -> None:
    """Every volume labelled with the project (external ones never carry the label)."""
    from wharf.core.errors import WharfError

    volumes = ctx.client().volumes
    found = volumes.list(_project_label(project)).get("Volumes") or []
    for vol in sorted(found, key=lambda v: str(v["Name"])):
        try:
            volumes.remove(str(vol["Name"]))
        except WharfError as exc:
            progress.error(f"Volume {vol['Name']}", f"Error: {exc}")
            continue
        progress.done(f"Volume {vol['Name']}", "Removed")
