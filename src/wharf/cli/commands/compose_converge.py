"""Bringing one service's containers to what the file says: the planner's steps carried out
on the engine (create, recreate, remove over the scale), then started in dependency order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wharf.cli.command import Context

if TYPE_CHECKING:
    from wharf.cli.commands.compose_progress import Progress
    from wharf.compose.createbody import Meta
    from wharf.compose.model import Project
    from wharf.compose.model_service import Service
    from wharf.compose.planner import Existing, Step


def existing(ctx: Context, project: str, service: str) -> list[Existing]:
    """The service's (not one-off) containers, running or not."""
    from wharf.cli.commands.compose_common import name_of, number_of, project_containers
    from wharf.compose.labels import CONFIG_HASH
    from wharf.compose.planner import Existing

    return [Existing(str(c["Id"]), name_of(c), number_of(c),
                     str((c.get("Labels") or {}).get(CONFIG_HASH, "")), str(c.get("ImageID", "")),
                     c.get("State") == "running")
            for c in project_containers(ctx, project, [service], all_=True)]


def wanted_hash(project: Project, service: Service, meta: Meta) -> str:
    from wharf.compose.confighash import config_hash
    from wharf.compose.createbody import create_body

    return config_hash(create_body(project, service, meta))


def create_container(ctx: Context, project: Project, service: Service, meta: Meta,
                     number: int, oneoff: bool = False, name: str | None = None,
                     overrides: dict[str, Any] | None = None,
                     host_overrides: dict[str, Any] | None = None,
                     previous: str | None = None) -> str:
    """Create container ``number`` of ``service`` (``overrides`` on top of the body and its
    ``HostConfig``, for ``run``; the anonymous volumes of container ``previous``); its ID."""
    from wharf.compose import labels as L
    from wharf.compose.createbody import create_body

    body = create_body(project, service, meta, number, oneoff)
    body["Labels"][L.CONFIG_HASH] = wanted_hash(project, service, meta)
    body.update(overrides or {})
    body["HostConfig"].update(host_overrides or {})
    if previous is not None:
        _carry_volumes(ctx, project, body["HostConfig"], previous)
    name = name or L.container_name(project.name, service.name, number, oneoff)
    result = ctx.client().containers.create(body, name)
    for warning in result.get("Warnings") or []:
        ctx.err(f"WARNING: {warning}")
    return str(result["Id"])


def _carry_volumes(ctx: Context, project: Project, host: dict[str, Any], previous: str) -> None:
    from wharf.compose.anonymous import carry_anonymous
    from wharf.compose.resources import volume_name

    mounts = ctx.client().containers.inspect(previous).get("Mounts") or []
    carry_anonymous(host, mounts, {volume_name(project, k) for k in project.volumes})


def stop_timeout(service: Service | None, given: int | None = None) -> int | None:
    if given is not None:
        return given
    if service is None or service.stop_grace_period is None:
        return None
    return int(service.stop_grace_period)


def remove_container(ctx: Context, ref: str, timeout: int | None) -> None:
    """Stop (within ``timeout``) and remove, anonymous volumes kept as compose keeps them."""
    containers = ctx.client().containers
    containers.stop(ref, timeout)
    containers.remove(ref, force=True)


def _apply(ctx: Context, project: Project, service: Service, meta: Meta, step: Step,
           progress: Progress, timeout: int | None, renew_anon: bool) -> str | None:
    from wharf.compose import labels as L
    from wharf.compose.planner import CREATE, RECREATE, REMOVE

    name = L.container_name(project.name, service.name, step.number)
    old = step.container
    if step.action == REMOVE and old is not None:
        remove_container(ctx, old.id, stop_timeout(service, timeout))
        progress.done(f"Container {old.name}", "Removed")
        return None
    if step.action == RECREATE and old is not None:
        ctx.client().containers.stop(old.id, stop_timeout(service, timeout))
        aside = f"{old.id[:12]}_{name}"  # compose's name for the container being replaced
        if old.name != aside:  # not already set aside by an up that failed half-way
            ctx.client().containers.rename(old.id, aside)
        new = create_container(ctx, project, service, meta, step.number,
                               previous=None if renew_anon else old.id)
        ctx.client().containers.remove(old.id, force=True, volumes=renew_anon)
        progress.done(f"Container {name}", "Recreated")
        return new
    if step.action == CREATE:
        new = create_container(ctx, project, service, meta, step.number)
        progress.done(f"Container {name}", "Created")
        return new
    return old.id if old is not None else None


def converge(ctx: Context, project: Project, service: Service, meta: Meta, steps: list[Step],
             progress: Progress, timeout: int | None = None,
             renew_anon: bool = False) -> list[tuple[str, str, bool]]:
    """Carry out ``steps`` (a recreated container keeps its anonymous volumes unless
    ``renew_anon``); ``(id, name, was_running)`` of the containers the service keeps."""
    from wharf.compose import labels as L
    from wharf.compose.planner import KEEP

    kept = []
    for step in steps:
        container_id = _apply(ctx, project, service, meta, step, progress, timeout, renew_anon)
        if container_id is not None:
            name = L.container_name(project.name, service.name, step.number)
            kept.append((container_id, name, step.action == KEEP))
    return kept
