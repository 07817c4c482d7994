"""``wharf compose exec SERVICE COMMAND [ARGS...]``: ``docker exec`` on the service's running
container (``--index`` picks a replica), a TTY by default when stdin is one (``-T`` disables),
exiting with the command's status."""

from __future__ import annotations

from wharf.cli.command import Command, Context
from wharf.cli.commands.compose_common import project_containers
from wharf.cli.commands.compose_ops_target import pick_container, resolve
from wharf.cli.commands.exec import exec_command
from wharf.cli.flags import BOOL, INT, LIST, STRING, Flag, Parsed
from wharf.cli.session import is_terminal


def docker_exec_options(opts: Parsed, container_id: str, stdin_is_tty: bool) -> Parsed:
    """The flags of ``docker exec`` that compose's flags mean, for ``exec_command``."""
    interactive = bool(opts["interactive"])
    tty = stdin_is_tty and not opts["no-TTY"]
    if opts.changed("tty") and not opts["tty"]:
        tty = False
    values = {
        "detach": bool(opts["detach"]), "detach-keys": "", "env": list(opts["env"]),
        "env-file": [], "interactive": interactive, "privileged": bool(opts["privileged"]),
        "tty": tty, "user": str(opts["user"]), "workdir": str(opts["workdir"]),
    }
    return Parsed(values, [container_id, *opts.args[1:]])


def compose_exec(ctx: Context, opts: Parsed) -> int:
    service = opts.args[0]
    target = resolve(ctx, [service])
    running = project_containers(ctx, target.name, [service], all_=False)
    container = pick_container(running, service, int(opts["index"]))
    return exec_command(ctx, docker_exec_options(opts, str(container["Id"]),
                                                 is_terminal(ctx.stdin)))


EXEC = Command(
    "[OPTIONS] SERVICE COMMAND [ARGS...]", "Execute a command in a running container",
    compose_exec,
    (Flag("detach", "d", BOOL, "Detached mode: Run command in the background"),
     Flag("env", "e", LIST, "Set environment variables", type_name="stringArray"),
     Flag("index", "", INT, "Index of the container if service has multiple replicas"),
     Flag("interactive", "i", BOOL, "Keep STDIN open even if not attached", default=True,
          hidden=True),
     Flag("no-TTY", "T", BOOL, "Disable pseudo-TTY allocation. By default 'wharf compose "
                               "exec' allocates a TTY."),
     Flag("privileged", "", BOOL, "Give extended privileges to the process"),
     Flag("tty", "t", BOOL, "Allocate a pseudo-TTY", default=True, hidden=True),
     Flag("user", "u", STRING, "Run the command as this user"),
     Flag("workdir", "w", STRING, "Path to workdir directory for this command")),
    min_args=2, interspersed=False)
