"""``wharf compose [-f FILE]... [-p NAME] [--profile P]... COMMAND``: the compose global flags,
then the subcommand ``compose.<name>`` of the command registry (one module per group of
subcommands, imported only when used)."""

from __future__ import annotations

from wharf.cli import registry
from wharf.cli.command import Command, Context
from wharf.cli.commands.compose_common import COMPOSE_FLAGS, remember_options
from wharf.cli.flags import Parsed


def _subcommands() -> dict[str, str]:
    return {key.split(".", 1)[1]: key for key in registry.IMPLEMENTATIONS
            if key.startswith("compose.")}


def _help() -> str:
    from wharf.cli.flags import format_options

    table = _subcommands()
    width = max((len(n) for n in table), default=0) + 3
    lines = [f"  {name.ljust(width)}{registry.IMPLEMENTATIONS[key].summary}"
             for name, key in sorted(table.items())]
    return ("\nUsage:  wharf compose [OPTIONS] COMMAND\n\nDefine and run multi-container "
            "applications with wharf\n\nOptions:\n" + format_options(COMPOSE_FLAGS)
            + "\n\nCommands:\n" + "\n".join(lines)
            + "\n\nRun 'wharf compose COMMAND --help' for more information on a command.")


def compose(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.main import run_command

    if not opts.args or opts.args[0] == "help":
        ctx.out(_help())
        return 0
    name, rest = opts.args[0], opts.args[1:]
    key = _subcommands().get(name)
    if key is None:
        ctx.err(f"unknown wharf command: \"compose {name}\"\n\n"
                "Run 'wharf compose --help' for more information")
        return 1
    remember_options(ctx, opts)
    ctx.path = f"compose {name}"
    return run_command(ctx, key, rest)


COMPOSE = Command("[OPTIONS] COMMAND", "Define and run multi-container applications", compose,
                  COMPOSE_FLAGS, interspersed=False)
