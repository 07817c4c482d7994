"""``wharf compose start|stop|restart|kill|pause|unpause|rm [SERVICE...]``: the project's
containers (found by Compose's labels) changed in ``depends_on`` order, each level in parallel,
with compose's progress lines."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from wharf.cli.command import Command, CommandFailed, Context, describe_error
from wharf.cli.commands.compose_common import Container, name_of, project_containers, service_of
from wharf.cli.commands.compose_ops_target import Target, in_levels, resolve
from wharf.cli.commands.compose_progress import Progress, progress_name
from wharf.cli.flags import BOOL, INT, STRING, Flag, Parsed
from wharf.core.errors import WharfError

MAX_PARALLEL = 16
STOPPED_STATES = ("created", "exited", "dead")


def containers_of(ctx: Context, target: Target, all_: bool) -> list[Container]:
    """The project's containers of the named services (all services when none is named);
    with a project file, only the services it declares (orphans are left alone)."""
    found = project_containers(ctx, target.name, target.services or None, all_=all_)
    if target.project is None:
        return found
    return [c for c in found if service_of(c) in target.project.services]


def run_levels(ctx: Context, progress: Progress, levels: list[list[Container]],
               action: Callable[[Container], object], working: str | None,
               done: str) -> int:
    """Apply ``action`` level by level (parallel inside a level); stop at the first level
    with a failure, print the errors after the progress block."""
    errors: list[WharfError] = []

    def one(container: Container) -> WharfError | None:
        ident = progress_name(name_of(container))
        if working:
            progress.working(ident, working)
        try:
            action(container)
        except WharfError as exc:
            progress.error(ident)
            return exc
        progress.done(ident, done)
        return None

    for level in levels:
        with ThreadPoolExecutor(max(1, min(len(level), MAX_PARALLEL))) as pool:
            errors += [e for e in pool.map(one, level) if e is not None]
        if errors:
            break
    progress.finish()
    for error in errors:
        ctx.err(describe_error(error))
    return 1 if errors else 0


def _timeout(opts: Parsed) -> int | None:
    return int(opts["timeout"]) if opts.changed("timeout") else None


def stop_all(ctx: Context, target: Target, timeout: int | None) -> int:
    containers = containers_of(ctx, target, all_=False)
    client = ctx.client().containers

    def action(c: Container) -> None:
        chosen = timeout if timeout is not None else target.stop_timeout(service_of(c))
        client.stop(str(c["Id"]), chosen)

    return run_levels(ctx, Progress(ctx, "Stopping"), in_levels(target, containers, True),
                      action, "Stopping", "Stopped")


def stop(ctx: Context, opts: Parsed) -> int:
    return stop_all(ctx, resolve(ctx, opts.args), _timeout(opts))


def start(ctx: Context, opts: Parsed) -> int:
    target = resolve(ctx, opts.args)
    containers = containers_of(ctx, target, all_=True)
    present = {service_of(c) for c in containers}
    for service in target.services:
        if service not in present:
            raise CommandFailed(1, f"service \"{service}\" has no container to start")
    waiting = [c for c in containers if c.get("State") != "running"]
    client = ctx.client().containers
    return run_levels(ctx, Progress(ctx, "Starting"), in_levels(target, waiting),
                      lambda c: client.start(str(c["Id"])), "Starting", "Started")


def restart(ctx: Context, opts: Parsed) -> int:
    target = resolve(ctx, opts.args)
    timeout = _timeout(opts)
    client = ctx.client().containers

    def action(c: Container) -> None:
        chosen = timeout if timeout is not None else target.stop_timeout(service_of(c))
        client.restart(str(c["Id"]), chosen)

    containers = containers_of(ctx, target, all_=True)
    return run_levels(ctx, Progress(ctx, "Restarting"), in_levels(target, containers),
                      action, "Restarting", "Started")


def kill(ctx: Context, opts: Parsed) -> int:
    target = resolve(ctx, opts.args)
    containers = containers_of(ctx, target, all_=False)
    if not containers:
        ctx.err("no container to kill")
        return 0
    signal = str(opts["signal"]) or "SIGKILL"
    client = ctx.client().containers
    return run_levels(ctx, Progress(ctx, "Killing"), [containers],
                      lambda c: client.kill(str(c["Id"]), signal), "Killing", "Killed")


def _pausing(ctx: Context, opts: Parsed, state: str, title: str, done: str,
             action: Callable[[str], object]) -> int:
    target = resolve(ctx, opts.args)
    chosen = [c for c in containers_of(ctx, target, all_=False) if c.get("State") == state]
    return run_levels(ctx, Progress(ctx, title), [chosen], lambda c: action(str(c["Id"])),
                      None, done)


def pause(ctx: Context, opts: Parsed) -> int:
    return _pausing(ctx, opts, "running", "Pausing", "Paused", ctx.client().containers.pause)


def unpause(ctx: Context, opts: Parsed) -> int:
    return _pausing(ctx, opts, "paused", "Unpausing", "Unpaused",
                    ctx.client().containers.unpause)


def confirm(ctx: Context, question: str) -> bool:
    """Compose's yes/no question (default no)."""
    ctx.out(f"? {question} (y/N) ", end="")
    ctx.stdout.flush()
    answer = ctx.stdin.readline().decode("utf-8", "replace").strip().lower()
    return answer in ("y", "yes")


def rm(ctx: Context, opts: Parsed) -> int:
    target = resolve(ctx, opts.args)
    if opts["stop"]:
        status = stop_all(ctx, target, None)
        if status:
            return status
    stopped = [c for c in containers_of(ctx, target, all_=True)
               if c.get("State") in STOPPED_STATES]
    if not stopped:
        ctx.err("No stopped containers")
        return 0
    question = "Going to remove " + ", ".join(name_of(c) for c in stopped)
    if opts["force"]:
        ctx.out(question)
    elif not confirm(ctx, question):
        return 0
    client = ctx.client().containers
    force, volumes = bool(opts["force"]), bool(opts["volumes"])
    return run_levels(ctx, Progress(ctx, "Removing"), [stopped],
                      lambda c: client.remove(str(c["Id"]), force, volumes),
                      "Removing", "Removed")


TIMEOUT = Flag("timeout", "t", INT, "Specify a shutdown timeout in seconds")
START = Command("[SERVICE...]", "Start services", start)
STOP = Command("[OPTIONS] [SERVICE...]", "Stop services", stop, (TIMEOUT,))
RESTART = Command("[OPTIONS] [SERVICE...]", "Restart service containers", restart, (TIMEOUT,))
KILL = Command("[OPTIONS] [SERVICE...]", "Force stop service containers", kill,
               (Flag("signal", "s", STRING, "SIGNAL to send to the container",
                     default="SIGKILL"),))
PAUSE = Command("[SERVICE...]", "Pause services", pause)
UNPAUSE = Command("[SERVICE...]", "Unpause services", unpause)
RM = Command(
    "[OPTIONS] [SERVICE...]", "Removes stopped service containers", rm,
    (Flag("force", "f", BOOL, "Don't ask to confirm removal"),
     Flag("stop", "s", BOOL, "Stop the containers, if required, before removing"),
     Flag("volumes", "v", BOOL, "Remove any anonymous volumes attached to containers")))
