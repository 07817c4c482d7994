"""``wharf``: Docker's command line, talking to the Engine API.

Only the module of the command being run is imported (see ``registry``), so ``wharf version``
stays within its start-up budget: no asyncio, no ssl (unless TLS is used), no http.client.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from wharf.cli import registry
from wharf.cli.command import (
    PROG,
    Command,
    CommandFailed,
    Context,
    GlobalOptions,
    arg_count_error,
    describe_error,
)
from wharf.cli.flags import (
    BOOL,
    LIST,
    STRING,
    Flag,
    FlagParser,
    Parsed,
    UsageError,
    format_options,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

VERSION = "0.1.0"

GLOBAL_FLAGS = (
    Flag("config", "", STRING, "Location of client config files"),
    Flag("context", "c", STRING, "Name of the context to use to connect to the daemon"),
    Flag("debug", "D", BOOL, "Enable debug mode"),
    Flag("host", "H", LIST, "Daemon socket to connect to"),
    Flag("log-level", "l", STRING, 'Set the logging level ("debug", "info", "warn", "error", '
                                   '"fatal")', default="info"),
    Flag("tls", "", BOOL, "Use TLS; implied by --tlsverify"),
    Flag("tlscacert", "", STRING, "Trust certs signed only by this CA"),
    Flag("tlscert", "", STRING, "Path to TLS certificate file"),
    Flag("tlskey", "", STRING, "Path to TLS key file"),
    Flag("tlsverify", "", BOOL, "Use TLS and verify the remote"),
    Flag("version", "v", BOOL, "Print version information and quit"),
)


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None,
         stdin: BinaryIO | None = None, stdout: BinaryIO | None = None,
         stderr: BinaryIO | None = None) -> int:
    """Run one CLI invocation; returns the exit status (the console script exits with it)."""
    argv = sys.argv[1:] if argv is None else argv
    env = os.environ if env is None else env
    out = stdout or sys.stdout.buffer
    err = stderr or sys.stderr.buffer
    ctx = Context("", GlobalOptions(), env, stdin or sys.stdin.buffer, out, err)
    try:
        return _dispatch(ctx, argv)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    finally:
        ctx.close()
        _flush(out, err)


def _flush(*streams: BinaryIO) -> None:
    for stream in streams:
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # the reader went away, or the stream is closed
            continue


def _dispatch(ctx: Context, argv: list[str]) -> int:
    try:
        parsed = FlagParser(GLOBAL_FLAGS, interspersed=False).parse(argv)
    except UsageError as exc:
        ctx.err(f"{exc.message}\n\nUsage:  {PROG} [OPTIONS] COMMAND\n\n"
                f"Run '{PROG} --help' for more information")
        return 125
    if parsed["version"]:
        ctx.out(f"wharf version {VERSION}")
        return 0
    if len(parsed["host"]) > 1:
        ctx.err("Failed to initialize: unable to resolve wharf endpoint: Specify only one -H")
        return 1
    ctx.options = _global_options(parsed.values, parsed.set_flags)
    if parsed["help"] or not parsed.args or parsed.args[0] == "help":
        ctx.out(_top_help())
        return 0
    name, rest = parsed.args[0], parsed.args[1:]
    if name in registry.MANAGEMENT:
        return _management(ctx, name, rest)
    key = registry.TOP_LEVEL.get(name)
    if key is None:
        ctx.err(f"{PROG}: unknown command: {PROG} {name}\n\n"
                f"Run '{PROG} --help' for more information")
        return 1
    ctx.path = name
    return run_command(ctx, key, rest)


def _global_options(values: dict[str, object], changed: set[str]) -> GlobalOptions:
    hosts = values["host"]
    assert isinstance(hosts, list)
    return GlobalOptions(
        host=hosts[-1] if hosts else None,
        tls=bool(values["tls"]),
        tls_verify=bool(values["tlsverify"]) if "tlsverify" in changed else None,
        tls_ca=str(values["tlscacert"]) or None,
        tls_cert=str(values["tlscert"]) or None,
        tls_key=str(values["tlskey"]) or None,
        debug=bool(values["debug"]),
    )


def _management(ctx: Context, group: str, rest: list[str]) -> int:
    summary, table = registry.MANAGEMENT[group]
    if not rest or rest[0] in ("-h", "--help", "help"):
        ctx.out(_group_help(group, summary, table))
        return 0
    key = table.get(rest[0])
    if key is None:
        ctx.err(f"{PROG}: unknown command: {PROG} {group} {rest[0]}\n\n"
                f"Usage:  {PROG} {group}\n\nRun '{PROG} {group} --help' for more information")
        return 1
    ctx.path = f"{group} {rest[0]}"
    return run_command(ctx, key, rest[1:])


def load_command(key: str) -> Command:
    import importlib

    entry = registry.IMPLEMENTATIONS[key]
    module = importlib.import_module(f"wharf.cli.commands.{entry.module}")
    command = getattr(module, entry.attribute)
    assert isinstance(command, Command)
    return command


def run_command(ctx: Context, key: str, argv: list[str]) -> int:
    command = load_command(key)
    try:
        parsed = FlagParser(command.flags, command.interspersed).parse(argv)
    except UsageError as exc:
        ctx.err(f"{exc.message}\n\nUsage:  {usage_line(ctx.path, command)}\n\n"
                f"Run '{PROG} {ctx.path} --help' for more information")
        return 125
    if parsed["help"]:
        ctx.out(command_help(ctx.path, key, command))
        return 0
    problem = arg_count_error(ctx.path, command, len(parsed.args))
    if problem:
        ctx.err(f"{PROG}: {problem}\n\nUsage:  {usage_line(ctx.path, command)}\n\n"
                f"See '{PROG} {ctx.path} --help' for more information")
        return 1
    return _invoke(ctx, command, parsed)


def _invoke(ctx: Context, command: Command, parsed: Parsed) -> int:
    from wharf.core.errors import WharfError

    try:
        return command.handler(ctx, parsed)
    except UsageError as exc:  # a flag value the handler found malformed (a filter)
        ctx.err(f"{exc.message}\n\nUsage:  {usage_line(ctx.path, command)}\n\n"
                f"Run '{PROG} {ctx.path} --help' for more information")
        return 125
    except CommandFailed as exc:
        if exc.message:
            ctx.err(exc.message)
        return exc.status
    except WharfError as exc:
        text = describe_error(exc)
        if command.run_style_errors:
            ctx.err(f"{PROG}: {text}\n\nRun '{PROG} {ctx.path} --help' for more information")
            return 125
        ctx.err(text)
        return 1


def usage_line(path: str, command: Command) -> str:
    return f"{PROG} {path} {command.usage}".rstrip()


def command_help(path: str, key: str, command: Command) -> str:
    parts = [f"Usage:  {usage_line(path, command)}", "", command.description or command.summary]
    names = registry.aliases(key)
    if len(names) > 1:
        parts += ["", "Aliases:", "  " + ", ".join(f"{PROG} {name}" for name in names)]
    options = format_options(command.flags)
    if options:
        parts += ["", "Options:", options]
    return "\n".join(parts)


def _group_help(group: str, summary: str, table: dict[str, str]) -> str:
    rows = [(name, registry.IMPLEMENTATIONS[key].summary) for name, key in sorted(table.items())
            if name not in registry.HIDDEN_ALIASES]
    lines = [f"Usage:  {PROG} {group} COMMAND", "", summary, "", "Commands:"]
    lines += [f"  {name:<11} {text}" for name, text in rows]
    lines += ["", f"Run '{PROG} {group} COMMAND --help' for more information on a command."]
    return "\n".join(lines)


def _top_help() -> str:
    def row(name: str, key: str) -> str:
        return f"  {name:<11} {registry.IMPLEMENTATIONS[key].summary}"

    lines = [f"Usage:  {PROG} [OPTIONS] COMMAND", "",
             "A self-sufficient runtime for containers", "", "Common Commands:"]
    lines += [row(name, registry.TOP_LEVEL[name]) for name in registry.COMMON]
    lines += ["", "Management Commands:"]
    lines += [f"  {name:<11} {summary}" for name, (summary, _) in registry.MANAGEMENT.items()]
    lines += ["", "Commands:"]
    lines += [row(name, key) for name, key in sorted(registry.TOP_LEVEL.items())
              if name not in registry.COMMON]
    lines += ["", "Global Options:", format_options(GLOBAL_FLAGS), "",
              f"Run '{PROG} COMMAND --help' for more information on a command."]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
