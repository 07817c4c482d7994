"""``wharf-runtime``: runc's command line over ``wharf.runtime.oci`` (containerd-shim-runc-v2
and dockerd's ``--add-runtime`` can drive it as they drive runc)."""

from __future__ import annotations

import argparse
import json
import os
import signal as signals
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wharf.runtime import oci
from wharf.runtime.oci.cliutil import RuntimeLog, exec_process_spec, parse_signal, read_json_file
from wharf.runtime.oci.errors import ContainerStateError, RuntimeCreateError

VERSION = "0.1.0"
DEFAULT_ROOT = "/run/wharf-runtime"
FORWARDED_SIGNALS = (signals.SIGTERM, signals.SIGINT, signals.SIGHUP, signals.SIGQUIT,
                     signals.SIGUSR1, signals.SIGUSR2, signals.SIGWINCH)


def _add_create_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bundle", "-b", default=".")
    parser.add_argument("--pid-file")
    parser.add_argument("--console-socket")
    parser.add_argument("--preserve-fds", type=int, default=0)
    parser.add_argument("--no-pivot", action="store_true")
    parser.add_argument("--no-new-keyring", action="store_true")
    parser.add_argument("id")


def _add_run_flags(parser: argparse.ArgumentParser) -> None:
    _add_create_flags(parser)
    parser.add_argument("--detach", "-d", action="store_true")
    parser.add_argument("--no-subreaper", action="store_true")
    parser.add_argument("--keep", action="store_true")


def _add_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id")


def _add_kill_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all", "-a", action="store_true")
    parser.add_argument("id")
    parser.add_argument("signal", nargs="?", default="SIGTERM")


def _add_delete_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", "-f", action="store_true")
    parser.add_argument("id")


def _add_exec_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--process", "-p")
    parser.add_argument("--detach", "-d", action="store_true")
    parser.add_argument("--pid-file")
    parser.add_argument("--console-socket")
    parser.add_argument("--tty", "-t", action="store_true")
    parser.add_argument("--cwd")
    parser.add_argument("--env", "-e", action="append", default=[])
    parser.add_argument("--user", "-u")
    parser.add_argument("--preserve-fds", type=int, default=0)
    parser.add_argument("id")
    parser.add_argument("args", nargs=argparse.REMAINDER)


def _add_ps_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", "-f", choices=("table", "json"), default="table")
    parser.add_argument("id")
    parser.add_argument("ps_args", nargs=argparse.REMAINDER)


def _add_update_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--resources", "-r", default="-")
    parser.add_argument("id")


def _add_spec_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bundle", "-b", default=".")
    parser.add_argument("--rootless", action="store_true")


def _add_nothing(parser: argparse.ArgumentParser) -> None:
    return


SUBCOMMANDS: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "create": _add_create_flags, "run": _add_run_flags, "start": _add_id, "state": _add_id,
    "pause": _add_id, "resume": _add_id, "kill": _add_kill_flags, "delete": _add_delete_flags,
    "exec": _add_exec_flags, "ps": _add_ps_flags, "update": _add_update_flags,
    "features": _add_nothing, "spec": _add_spec_flags, "list": _add_nothing,
}
# the commands whose processes enter a container: they run from the sealed interpreter
SEALED_COMMANDS = frozenset({"create", "run", "exec"})
GLOBAL_FLAGS_WITH_VALUE = frozenset({"--root", "--log", "--log-format", "--criu", "--rootless"})


def requested_command(argv: list[str]) -> str | None:
    """The subcommand named in ``argv`` (after the global flags), if it is a known one."""
    skip_value = False
    for arg in argv:
        if skip_value:
            skip_value = False
        elif arg in GLOBAL_FLAGS_WITH_VALUE:
            skip_value = True
        elif not arg.startswith("-"):
            return arg if arg in SUBCOMMANDS else None
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """runc's command line; with ``only``, just that subcommand's parser is built (argparse
    setup is a large share of a short-lived runtime call, and containerd makes many)."""
    parser = argparse.ArgumentParser(prog="wharf-runtime", description="wharf's OCI runtime")
    parser.add_argument("--root", default=DEFAULT_ROOT)
    parser.add_argument("--log")
    parser.add_argument("--log-format", choices=("text", "json"), default="text")
    parser.add_argument("--debug", action="store_true")
    parser.add_argument("--systemd-cgroup", action="store_true")
    parser.add_argument("--rootless", default="false")
    parser.add_argument("--criu")
    parser.add_argument("--version", "-v", action="store_true")
    sub = parser.add_subparsers(dest="command")
    for name, add_flags in SUBCOMMANDS.items():
        if only is None or name == only:
            add_flags(sub.add_parser(name))
    return parser


def _wait_forwarding(pid: int) -> int:
    """Forward signals to ``pid`` and wait for it (we are its subreaper); reap others too."""
    for number in FORWARDED_SIGNALS:
        signals.signal(number, lambda sig, _frame: os.kill(pid, sig))
    while True:
        try:
            reaped, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 255
        if reaped == pid:
            return 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) \
                else os.WEXITSTATUS(status)


def _create_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {"console_socket": args.console_socket,
            "pid_file": Path(args.pid_file).absolute() if args.pid_file else None,
            "preserve_fds": args.preserve_fds, "no_pivot": args.no_pivot}


def _wants_terminal(bundle: Path) -> bool:
    try:
        config = json.loads((bundle / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return bool((config.get("process") or {}).get("terminal"))


def _run_with_terminal(start: Callable[[str], int]) -> int:
    """Start with a console socket of our own, then proxy our stdio to the PTY."""
    from wharf.runtime.oci.ttyproxy import console_receiver, proxy

    with console_receiver() as receiver:
        pid = start(receiver.path)
        master = receiver.master()
    try:
        proxy(master)
    finally:
        os.close(master)
    return _wait_forwarding(pid)


def cmd_run(root: Path, args: argparse.Namespace) -> int:
    bundle = Path(args.bundle).absolute()
    if args.detach:
        oci.run(root, args.id, bundle, **_create_kwargs(args))
        return 0
    from wharf.runtime.oci.syscalls import set_child_subreaper

    set_child_subreaper()
    if not args.console_socket and _wants_terminal(bundle):
        options = _create_kwargs(args)

        def start(console: str) -> int:
            return oci.run(root, args.id, bundle, **{**options, "console_socket": console},
                           console_clear_onlcr=True)

        code = _run_with_terminal(start)
    else:
        code = _wait_forwarding(oci.run(root, args.id, bundle, **_create_kwargs(args)))
    if not args.keep:
        oci.delete(root, args.id, force=True)
    return code


def cmd_exec(root: Path, args: argparse.Namespace) -> int:
    from wharf.runtime.oci.state import read_state
    from wharf.runtime.oci.syscalls import set_child_subreaper

    if args.process:
        process = read_json_file(args.process)
    else:
        if not args.args:
            raise RuntimeCreateError("exec: no command given")
        base = read_state(root, args.id).config.get("process") or {}
        process = exec_process_spec(base, args.args, env=args.env, cwd=args.cwd,
                                    tty=args.tty, user=args.user)
    pid_file = Path(args.pid_file).absolute() if args.pid_file else None
    if not args.detach:
        set_child_subreaper()
    if not args.detach and not args.console_socket and process.get("terminal"):
        def start(console: str) -> int:
            return oci.exec_process(root, args.id, process, console_socket=console,
                                    pid_file=pid_file, preserve_fds=args.preserve_fds,
                                    console_clear_onlcr=True)

        return _run_with_terminal(start)
    pid = oci.exec_process(root, args.id, process, console_socket=args.console_socket,
                           pid_file=pid_file, detach=True, preserve_fds=args.preserve_fds)
    return 0 if args.detach else _wait_forwarding(pid)


def cmd_ps(root: Path, args: argparse.Namespace) -> int:
    pids = oci.processes(root, args.id)
    if args.format == "json":
        print(json.dumps(pids))
        return 0
    print("PID     CMD")
    for pid in pids:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        print(f"{pid:<7} {command.strip()}")
    return 0


def cmd_spec(args: argparse.Namespace) -> int:
    from wharf.runtime.spec import default_spec

    target = Path(args.bundle) / "config.json"
    if target.exists():
        raise RuntimeCreateError("File config.json exists. Remove it first")
    target.write_text(json.dumps(default_spec(), indent=2) + "\n")
    return 0


def cmd_list(root: Path) -> int:
    print(f"{'ID':<20} {'PID':<8} {'STATUS':<10} BUNDLE")
    if root.is_dir():
        for entry in sorted(root.iterdir()):
            if (entry / "state.json").exists():
                info = oci.state(root, entry.name)
                print(f"{info['id']:<20} {info['pid']:<8} {info['status']:<10} {info['bundle']}")
    return 0


def dispatch(args: argparse.Namespace) -> int:
    root = Path(args.root)
    command = args.command
    if command == "create":
        oci.create(root, args.id, Path(args.bundle).absolute(), **_create_kwargs(args))
    elif command == "run":
        return cmd_run(root, args)
    elif command == "start":
        oci.start(root, args.id)
    elif command == "state":
        print(json.dumps(oci.state(root, args.id), indent=2))
    elif command == "kill":
        oci.kill(root, args.id, parse_signal(args.signal), all_processes=args.all)
    elif command == "delete":
        _delete(root, args.id, args.force)
    elif command == "exec":
        return cmd_exec(root, args)
    elif command == "pause":
        oci.pause(root, args.id)
    elif command == "resume":
        oci.resume(root, args.id)
    elif command == "ps":
        return cmd_ps(root, args)
    elif command == "update":
        cmd_update(root, args)
    elif command == "features":
        from wharf.runtime.oci.features import features

        print(json.dumps(features(), indent=2))
    elif command == "spec":
        return cmd_spec(args)
    elif command == "list":
        return cmd_list(root)
    return 0


def cmd_update(root: Path, args: argparse.Namespace) -> None:
    from wharf.runtime.cgroups import open_cgroup
    from wharf.runtime.oci.state import read_state

    open_cgroup(read_state(root, args.id).cgroups_path).apply(read_json_file(args.resources))


def _delete(root: Path, container_id: str, force: bool) -> None:
    if force and not (root / container_id / "state.json").exists():
        return  # runc: delete --force of a missing container is not an error
    oci.delete(root, container_id, force=force)


def main(argv: list[str] | None = None) -> int:
    """The program's entry point; ``argv`` given means a call from Python (no re-exec)."""
    as_program = argv is None
    argv = sys.argv[1:] if argv is None else argv
    command = requested_command(argv)
    parser = build_parser(command)
    args = parser.parse_args(argv)
    if args.version:
        from wharf.runtime.oci.state import OCI_VERSION

        print(f"wharf-runtime version {VERSION}\nspec: {OCI_VERSION}")
        return 0
    if not args.command:
        parser.print_help()
        return 0
    log = RuntimeLog(args.log, args.log_format == "json", args.debug)
    try:
        if as_program and command in SEALED_COMMANDS:
            from wharf.runtime.oci.sealedexe import reexec_sealed

            reexec_sealed()  # CVE-2019-5736: returns only once /proc/self/exe is read-only
        return dispatch(args)
    except (RuntimeCreateError, ContainerStateError, OSError, ValueError) as exc:
        log.error(str(exc))
        return 1


if __name__ == "__main__":
    sys.exit(main())
