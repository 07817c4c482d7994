"""``wharf exec``: create an exec instance, start it attached (hijacked) or detached."""

from __future__ import annotations

from wharf.cli.clientconfig import detach_keys_setting
from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.flags import BOOL, LIST, STRING, Flag, Parsed
from wharf.cli.runconfig import parse_env
from wharf.cli.session import (
    DETACHED_MESSAGE,
    StreamSession,
    follow_terminal_size,
    is_terminal,
    raw_terminal,
)
from wharf.client.api import Client
from wharf.client.transport import Transport

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def exec_config(opts: Parsed, env: dict[str, str] | Any) -> dict[str, Any]:
    detach = bool(opts["detach"])
    interactive = bool(opts["interactive"])
    config: dict[str, Any] = {
        "User": opts["user"], "Privileged": opts["privileged"], "Tty": opts["tty"],
        "AttachStdin": interactive and not detach, "AttachStdout": not detach,
        "AttachStderr": not detach, "Env": parse_env(opts["env"], opts["env-file"], env),
        "WorkingDir": opts["workdir"], "Cmd": opts.args[1:],
    }
    detach_keys = detach_keys_setting(str(opts["detach-keys"]), env)
    if detach_keys:
        config["DetachKeys"] = detach_keys
    return config


def exec_command(ctx: Context, opts: Parsed) -> int:
    client = ctx.client()
    container = opts.args[0]
    tty, interactive = bool(opts["tty"]), bool(opts["interactive"])
    if tty and interactive and not opts["detach"] and not is_terminal(ctx.stdin):
        raise CommandFailed(1, "the input device is not a TTY")
    config = exec_config(opts, ctx.env)
    exec_id = client.exec.create(container, config)
    if opts["detach"]:
        client.exec.start_detached(exec_id, tty)
        return 0
    stream = client.exec.start_attached(exec_id, tty)
    helper = Client(Transport(client.transport.endpoint, client.transport.api_version))

    def resize(height: int, width: int) -> None:
        helper.exec.resize(exec_id, height, width)

    session = StreamSession(stream, tty, ctx.stdin if interactive else None, ctx.stdout,
                            ctx.stderr, detach_keys=str(config.get("DetachKeys") or ""))
    with raw_terminal(ctx.stdin, tty and interactive), \
            follow_terminal_size(ctx.stdout, resize, tty):
        session.run()
    stream.close()
    if session.detached:
        raise CommandFailed(1, DETACHED_MESSAGE)
    exit_code = client.exec.inspect(exec_id).get("ExitCode")
    return int(exit_code or 0)


EXEC = Command(
    "[OPTIONS] CONTAINER COMMAND [ARG...]", "Execute a command in a running container",
    exec_command,
    (Flag("detach", "d", BOOL, "Detached mode: run command in the background"),
     Flag("detach-keys", "", STRING, "Override the key sequence for detaching a container"),
     Flag("env", "e", LIST, "Set environment variables"),
     Flag("env-file", "", LIST, "Read in a file of environment variables"),
     Flag("interactive", "i", BOOL, "Keep STDIN open even if not attached"),
     Flag("privileged", "", BOOL, "Give extended privileges to the command"),
     Flag("tty", "t", BOOL, "Allocate a pseudo-TTY"),
     Flag("user", "u", STRING, "Username or UID (format: \"<name|uid>[:<group|gid>]\")"),
     Flag("workdir", "w", STRING, "Working directory inside the container")),
    min_args=2, interspersed=False)
