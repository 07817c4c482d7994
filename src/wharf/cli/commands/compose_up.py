"""``wharf compose up`` and ``create``: networks and volumes made when missing, images built or
pulled, each service's containers planned (:mod:`wharf.compose.planner`) and converged, then
started in ``depends_on`` order, each dependency's condition awaited first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.flags import BOOL, INT, LIST, STRING, Flag, Parsed

if TYPE_CHECKING:
    from wharf.cli.commands.compose_progress import Progress
    from wharf.compose.createbody import Meta
    from wharf.compose.model import Project


@dataclass
class UpOptions:
    services: list[str] = field(default_factory=list)
    build: bool = False
    force_recreate: bool = False
    no_recreate: bool = False
    remove_orphans: bool = False
    scale: list[str] = field(default_factory=list)
    no_deps: bool = False
    start: bool = True
    wait: bool = False
    wait_timeout: float = 0.0
    timeout: int | None = None
    pull: str = ""
    abort_on_exit: bool = False
    exit_code_from: str = ""
    no_build: bool = False
    renew_anon: bool = False
    log_prefix: bool = True


def handle_orphans(ctx: Context, full: Project, remove: bool, progress: Progress,
                   timeout: int | None = None) -> None:
    """Project containers whose service is not in the file: a warning, or removed."""
    from wharf.cli.commands.compose_common import (
        name_of,
        orphans_warning,
        project_containers,
        service_of,
    )
    from wharf.cli.commands.compose_converge import remove_container
    from wharf.compose.planner import orphans

    found = project_containers(ctx, full.name, all_=True)
    names = orphans([(name_of(c), service_of(c)) for c in found], set(full.services))
    if not names:
        return
    if not remove:
        progress.warn(orphans_warning(names))
        return
    for name in names:
        remove_container(ctx, name, timeout)
        progress.done(f"Container {name}", "Removed")


Kept = dict[str, list[tuple[str, str, bool]]]


def _converge_all(ctx: Context, project: Project, meta: Meta, o: UpOptions,
                  progress: Progress) -> tuple[Kept, set[str]]:
    """Every service's containers as the file wants them; also the running containers to
    restart because a dependency with ``restart: true`` was recreated."""
    from wharf.cli.commands.compose_converge import converge, existing, wanted_hash
    from wharf.cli.commands.compose_images import ensure_image
    from wharf.cli.commands.compose_select import parse_scale
    from wharf.compose.order import start_order
    from wharf.compose.planner import CREATE, RECREATE, Wanted, plan_service

    scales = parse_scale(o.scale, project)
    images = {n: ensure_image(ctx, project, s, meta, progress, o.build, o.pull, o.no_build)
              for n, s in sorted(project.services.items())}
    kept: Kept = {}
    changed: set[str] = set()
    restart: set[str] = set()
    for name in start_order(project.dependencies()):
        svc = project.services[name]
        scale = scales.get(name, 1 if svc.scale is None else svc.scale)
        wanted = Wanted(scale, wanted_hash(project, svc, meta), images[name],
                        o.force_recreate, o.no_recreate)
        steps = plan_service(existing(ctx, project.name, name), wanted)
        kept[name] = converge(ctx, project, svc, meta, steps, progress, o.timeout,
                              o.renew_anon)
        if any(step.action in (CREATE, RECREATE) for step in steps):
            changed.add(name)
        if any(dep.restart and d in changed for d, dep in svc.depends_on.items()):
            restart |= {cid for cid, _name, running in kept[name] if running}
    return kept, restart


def _await_dependencies(ctx: Context, project: Project, name: str, started: Kept) -> None:
    from wharf.cli.commands.compose_wait import wait_completed, wait_healthy

    for dep, spec in sorted(project.services[name].depends_on.items()):
        containers = [(cid, cname) for cid, cname, _ in started.get(dep, [])]
        if spec.condition == "service_healthy":
            wait_healthy(ctx, containers)
        elif spec.condition == "service_completed_successfully":
            wait_completed(ctx, dep, containers)


def start_all(ctx: Context, project: Project, kept: Kept, restart: set[str],
              progress: Progress) -> list[tuple[str, str]]:
    """Start every kept container in dependency order (restart those in ``restart``);
    ``(id, name)`` of them all."""
    from wharf.compose.order import start_order

    out = []
    for name in start_order(project.dependencies()):
        _await_dependencies(ctx, project, name, kept)
        for cid, cname, running in kept.get(name, []):
            if cid in restart:
                ctx.client().containers.restart(cid)
                progress.done(f"Container {cname}", "Restarted")
            elif running:
                progress.done(f"Container {cname}", "Running")
            else:
                ctx.client().containers.start(cid)
                progress.done(f"Container {cname}", "Started")
            out.append((cid, cname))
    return out


def run_up(ctx: Context, o: UpOptions) -> list[tuple[str, str]]:
    """The whole of ``up -d`` / ``create``; the started containers."""
    from wharf.cli.commands.compose_common import load_for_engine
    from wharf.cli.commands.compose_progress import Progress
    from wharf.cli.commands.compose_resources import ensure_networks, ensure_volumes
    from wharf.cli.commands.compose_select import selected_project
    from wharf.cli.commands.compose_wait import DEFAULT_TIMEOUT, wait_running

    full, meta = load_for_engine(ctx)
    project = selected_project(ctx, full, o.services, o.no_deps)
    if o.exit_code_from and o.exit_code_from not in project.services:
        raise CommandFailed(1, f"no such service: {o.exit_code_from}")
    progress = Progress(ctx)
    handle_orphans(ctx, full, o.remove_orphans, progress, o.timeout)
    ensure_networks(ctx, project, progress)
    ensure_volumes(ctx, project, progress)
    kept, restart = _converge_all(ctx, project, meta, o, progress)
    if not o.start:
        return []
    started = start_all(ctx, project, kept, restart, progress)
    progress.finish()
    if o.wait:
        wait_running(ctx, started, o.wait_timeout or DEFAULT_TIMEOUT)
    return started


def _options(opts: Parsed, start: bool) -> UpOptions:
    if opts["force-recreate"] and opts["no-recreate"]:
        raise CommandFailed(1, "--force-recreate and --no-recreate are incompatible")
    if opts["build"] and opts["no-build"]:
        raise CommandFailed(1, "--build and --no-build are incompatible")
    pull = str(opts.values.get("pull") or "policy")
    if pull not in ("policy", "always", "missing", "never", "build"):
        raise CommandFailed(1, f"invalid --pull option {pull!r}: "
                               '"always"|"missing"|"never"|"build"|"policy"')
    return UpOptions(
        services=list(opts.args), build=bool(opts["build"]),
        force_recreate=bool(opts["force-recreate"]), no_recreate=bool(opts["no-recreate"]),
        remove_orphans=bool(opts["remove-orphans"]), scale=[str(s) for s in opts["scale"]],
        no_deps=bool(opts.values.get("no-deps")), start=start,
        wait=bool(opts.values.get("wait")),
        wait_timeout=float(opts.values.get("wait-timeout") or 0),
        timeout=int(opts["timeout"]) if opts.changed("timeout") else None,
        pull="" if pull == "policy" else pull,
        abort_on_exit=bool(opts.values.get("abort-on-container-exit")),
        exit_code_from=str(opts.values.get("exit-code-from") or ""),
        no_build=bool(opts["no-build"]), renew_anon=bool(opts["renew-anon-volumes"]),
        log_prefix=not opts.values.get("no-log-prefix"))


def up(ctx: Context, opts: Parsed) -> int:
    no_start, wait = bool(opts["no-start"]), bool(opts["wait"])
    detached = bool(opts["detach"]) or wait  # --wait implies detached, as with compose
    attached_only = opts["abort-on-container-exit"] or opts["exit-code-from"]
    if attached_only and (detached or no_start):
        raise CommandFailed(1, "--abort-on-container-exit and --exit-code-from need attached "
                               "mode: incompatible with --detach, --wait and --no-start")
    if no_start and detached:
        raise CommandFailed(1, "--no-start is incompatible with --detach and --wait")
    if not detached and not no_start:
        from wharf.cli.commands.compose_attach import attached_up

        return attached_up(ctx, _options(opts, True))
    run_up(ctx, _options(opts, not no_start))
    return 0


def create(ctx: Context, opts: Parsed) -> int:
    run_up(ctx, _options(opts, False))
    return 0


_COMMON = (
    Flag("build", "", BOOL, "Build images before starting containers"),
    Flag("force-recreate", "", BOOL, "Recreate containers even if their configuration and "
                                     "image haven't changed"),
    Flag("no-build", "", BOOL, "Don't build an image, even if it's policy"),
    Flag("no-recreate", "", BOOL, "If containers already exist, don't recreate them. "
                                  "Incompatible with --force-recreate"),
    Flag("remove-orphans", "", BOOL, "Remove containers for services not defined in the "
                                     "Compose file"),
    Flag("renew-anon-volumes", "V", BOOL, "Recreate anonymous volumes instead of retrieving "
                                          "data from the previous containers"),
    Flag("scale", "", LIST, "Scale SERVICE to NUM instances", type_name="scale"),
    Flag("timeout", "t", INT, "Use this timeout in seconds for container shutdown when "
                              "containers are already running"),
)

UP = Command("[OPTIONS] [SERVICE...]", "Create and start containers", up, (
    Flag("abort-on-container-exit", "", BOOL, "Stops all containers if any container was "
                                              "stopped. Incompatible with -d"),
    Flag("detach", "d", BOOL, "Detached mode: Run containers in the background"),
    Flag("exit-code-from", "", STRING, "Return the exit code of the selected service "
                                       "container. Implies --abort-on-container-exit"),
    *_COMMON,
    Flag("no-deps", "", BOOL, "Don't start linked services"),
    Flag("no-log-prefix", "", BOOL, "Don't print prefix in logs"),
    Flag("no-start", "", BOOL, "Don't start the services after creating them"),
    Flag("pull", "", STRING, 'Pull image before running ("always"|"missing"|"never"|"build")',
         default="policy"),
    Flag("wait", "", BOOL, "Wait for services to be running|healthy. Implies detached mode."),
    Flag("wait-timeout", "", INT, "Maximum duration in seconds to wait for the project to be "
                                  "running|healthy"),
))

CREATE = Command("[OPTIONS] [SERVICE...]", "Creates containers for a service", create,
                 _COMMON)
