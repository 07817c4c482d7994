"""Container state changes: stop, restart, kill, rm, pause, unpause, rename, wait."""

from __future__ import annotations

from wharf.cli.command import Command, CommandFailed, Context, describe_error
from wharf.cli.commands.common import for_each
from wharf.cli.flags import BOOL, INT, STRING, Flag, Parsed
from wharf.core.errors import WharfError

STOP_FLAGS = (
    Flag("signal", "s", STRING, "Signal to send to the container"),
    Flag("timeout", "t", INT, "Seconds to wait before killing the container"),
    Flag("time", "", INT, "Seconds to wait before killing the container (deprecated)",
         hidden=True),
)


def _timeout(opts: Parsed) -> int | None:
    if opts.changed("timeout"):
        return int(opts["timeout"])
    if opts.changed("time"):
        return int(opts["time"])
    return None


def stop(ctx: Context, opts: Parsed) -> int:
    containers = ctx.client().containers
    timeout, signal = _timeout(opts), str(opts["signal"]) or None
    return for_each(ctx, opts.args, lambda ref: containers.stop(ref, timeout, signal),
                    parallel=True)


def restart(ctx: Context, opts: Parsed) -> int:
    containers = ctx.client().containers
    timeout, signal = _timeout(opts), str(opts["signal"]) or None
    return for_each(ctx, opts.args, lambda ref: containers.restart(ref, timeout, signal))


def kill(ctx: Context, opts: Parsed) -> int:
    containers = ctx.client().containers
    signal = str(opts["signal"]) or None
    return for_each(ctx, opts.args, lambda ref: containers.kill(ref, signal), parallel=True)


def rm(ctx: Context, opts: Parsed) -> int:
    containers = ctx.client().containers
    force, volumes, link = bool(opts["force"]), bool(opts["volumes"]), bool(opts["link"])
    return for_each(ctx, opts.args,
                    lambda ref: containers.remove(ref, force, volumes, link), parallel=True)


def pause(ctx: Context, opts: Parsed) -> int:
    return for_each(ctx, opts.args, ctx.client().containers.pause)


def unpause(ctx: Context, opts: Parsed) -> int:
    return for_each(ctx, opts.args, ctx.client().containers.unpause)


def rename(ctx: Context, opts: Parsed) -> int:
    old, new = opts.args
    if not new.strip():
        ctx.err("Error: neither old nor new names may be empty")
        return 1
    try:
        ctx.client().containers.rename(old, new)
    except WharfError as exc:
        ctx.err(describe_error(exc))
        raise CommandFailed(1, f"Error: failed to rename container named {old}") from exc
    return 0


def wait(ctx: Context, opts: Parsed) -> int:
    containers = ctx.client().containers
    failed = False
    for ref in opts.args:
        try:
            result = containers.wait(ref)
        except WharfError as exc:
            ctx.err(describe_error(exc))
            failed = True
            continue
        ctx.out(str(result.get("StatusCode", 0)))
        ctx.stdout.flush()
    return 1 if failed else 0


STOP = Command("[OPTIONS] CONTAINER [CONTAINER...]", "Stop one or more running containers",
               stop, STOP_FLAGS, min_args=1)
RESTART = Command("[OPTIONS] CONTAINER [CONTAINER...]", "Restart one or more containers",
                  restart, STOP_FLAGS, min_args=1)
KILL = Command("[OPTIONS] CONTAINER [CONTAINER...]", "Kill one or more running containers",
               kill, (Flag("signal", "s", STRING, "Signal to send to the container"),),
               min_args=1)
RM = Command(
    "[OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers", rm,
    (Flag("force", "f", BOOL, "Force the removal of a running container (uses SIGKILL)"),
     Flag("link", "l", BOOL, "Remove the specified link"),
     Flag("volumes", "v", BOOL, "Remove anonymous volumes associated with the container")),
    min_args=1)
PAUSE = Command("CONTAINER [CONTAINER...]", "Pause all processes within one or more containers",
                pause, min_args=1)
UNPAUSE = Command("CONTAINER [CONTAINER...]",
                  "Unpause all processes within one or more containers", unpause, min_args=1)
RENAME = Command("CONTAINER NEW_NAME", "Rename a container", rename, min_args=2, max_args=2)
WAIT = Command("CONTAINER [CONTAINER...]",
               "Block until one or more containers stop, then print their exit codes", wait,
               min_args=1)
