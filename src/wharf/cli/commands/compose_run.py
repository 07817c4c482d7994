"""``wharf compose run SERVICE [COMMAND...]``: a one-off container of a service (label
``oneoff=True``, name ``<project>-<service>-run-<hex>``), its dependencies started first
unless ``--no-deps``, attached (with a TTY when stdin is one, unless ``-T``) through the same
attach/start internals as ``wharf run``. The service's ports are published only with
``--service-ports``, as compose does; ``-p`` adds others."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.flags import BOOL, LIST, STRING, Flag, Parsed

if TYPE_CHECKING:
    from wharf.compose.model import Project
    from wharf.compose.model_service import Service


def _one_off(service: Service, opts: Parsed) -> Service:
    import shlex

    from wharf.compose.errors import ComposeError
    from wharf.compose.model_base import Ctx, str_map
    from wharf.compose.model_ports import parse_ports

    try:
        env = {**service.environment,
               **str_map(Ctx(None, "-e"), [str(e) for e in opts["env"]])}
        published = parse_ports(Ctx(None, "--publish"), [str(p) for p in opts["publish"]])
    except ComposeError as err:
        raise CommandFailed(1, str(err)) from None
    ports = [*service.ports, *published] if opts["service-ports"] else published
    changes: dict[str, Any] = {"ports": ports, "restart": "no", "environment": env}
    if len(opts.args) > 1:
        changes["command"] = list(opts.args[1:])
    if opts.changed("entrypoint"):
        # shell words, as compose splits it; "" resets the image's entrypoint (docker's [""])
        changes["entrypoint"] = shlex.split(str(opts["entrypoint"])) or [""]
    if opts["user"]:
        changes["user"] = str(opts["user"])
    if opts["workdir"]:
        changes["working_dir"] = str(opts["workdir"])
    return replace(service, **changes)


def _prepare(ctx: Context, project: Project, name: str, no_deps: bool) -> None:
    """Networks, volumes, the service's image, and (unless ``--no-deps``) its dependencies
    up and running."""
    from wharf.cli.commands.compose_progress import Progress
    from wharf.cli.commands.compose_resources import ensure_networks, ensure_volumes
    from wharf.cli.commands.compose_up import UpOptions, run_up

    deps = sorted(project.services[name].depends_on)
    if deps and not no_deps:
        run_up(ctx, UpOptions(services=[d for d in deps if d in project.services]))
    only = replace(project, services={name: project.services[name]})
    progress = Progress(ctx)
    ensure_networks(ctx, only, progress)
    ensure_volumes(ctx, only, progress)


def compose_run(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.commands.compose_common import load_for_engine
    from wharf.cli.commands.compose_converge import create_container
    from wharf.cli.commands.compose_images import ensure_image
    from wharf.cli.commands.compose_progress import Progress
    from wharf.cli.commands.run import attach_and_start
    from wharf.cli.session import is_terminal
    from wharf.compose.labels import container_name

    project, meta = load_for_engine(ctx)
    name = opts.args[0]
    if name not in project.services:
        raise CommandFailed(1, f"no such service: {name}")
    detach = bool(opts["detach"])
    _prepare(ctx, project, name, bool(opts["no-deps"]))
    service = _one_off(project.services[name], opts)
    project = replace(project, services={**project.services, name: service})
    ensure_image(ctx, project, service, meta, Progress(ctx), build=False)
    tty = not opts["no-TTY"] and is_terminal(ctx.stdin) and not detach
    cname = str(opts["name"]) or container_name(project.name, name, secrets.randbits(48), True)
    cid = create_container(ctx, project, service, meta, 1, oneoff=True, name=cname,
                           overrides={"Tty": tty, "OpenStdin": not detach,
                                      "StdinOnce": not detach, "AttachStdin": not detach,
                                      "AttachStdout": not detach, "AttachStderr": not detach},
                           host_overrides={"AutoRemove": bool(opts["rm"])})
    if detach:
        ctx.client().containers.start(cid)
        ctx.out(cname)
        return 0
    return attach_and_start(ctx, cid, stdin=True, stdout=True, stderr=True, tty=tty,
                            auto_remove=bool(opts["rm"]), sig_proxy=True, detach_keys="")


RUN = Command("[OPTIONS] SERVICE [COMMAND] [ARGS...]", "Run a one-off command on a service",
              compose_run, (
    Flag("detach", "d", BOOL, "Run container in background and print container ID"),
    Flag("entrypoint", "", STRING, "Override the entrypoint of the image"),
    Flag("env", "e", LIST, "Set environment variables"),
    Flag("name", "", STRING, "Assign a name to the container"),
    Flag("no-TTY", "T", BOOL, "Disable pseudo-TTY allocation (default: auto-detected)"),
    Flag("no-deps", "", BOOL, "Don't start linked services"),
    Flag("publish", "p", LIST, "Publish a container's port(s) to the host"),
    Flag("service-ports", "", BOOL, "Run command with all service's ports enabled and mapped "
                                    "to the host"),
    Flag("rm", "", BOOL, "Automatically remove the container when it exits"),
    Flag("user", "u", STRING, "Run as specified username or uid"),
    Flag("workdir", "w", STRING, "Working directory inside the container"),
), min_args=1, interspersed=False)
