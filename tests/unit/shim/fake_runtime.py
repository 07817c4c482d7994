"""A runc-compatible command line without containers, for testing the shim without root.

``fake_runtime.py --root R --log L --log-format json <command> ...`` implements create (the
process waits on a FIFO until ``start``, as runc's init does), start, kill, delete and
``exec --detach``, with stdio passed through or a PTY sent over ``--console-socket``. Errors are
JSON lines in the ``--log`` file, as runc writes them. The processes run on the host: nothing here
isolates anything.
"""

from __future__ import annotations

import array
import contextlib
import fcntl
import json
import os
import pty
import shutil
import signal
import socket
import sys
import termios
from pathlib import Path
from typing import Any, NoReturn

COMMANDS = ("create", "start", "exec", "kill", "delete")


def fail(log: Path, message: str) -> NoReturn:
    with open(log, "a") as f:
        f.write(json.dumps({"level": "error", "msg": message}) + "\n")
    sys.exit(1)


def options(args: list[str], flags: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    found: dict[str, str] = {}
    rest: list[str] = []
    i = 0
    while i < len(args):
        if args[i] in flags:
            found[args[i]] = "1"
            i += 1
        elif args[i].startswith("--"):
            found[args[i]] = args[i + 1]
            i += 2
        else:
            rest.append(args[i])
            i += 1
    return found, rest


def attach_console(path: str) -> None:
    master, slave = pty.openpty()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(path)
        fds = array.array("i", [master])
        sock.sendmsg([b"console"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds.tobytes())])
    os.close(master)
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for target in (0, 1, 2):
        os.dup2(slave, target)
    os.close(slave)


def spawn(process: dict[str, Any], console: str | None, gate: Path | None) -> int:
    pid = os.fork()
    if pid:
        return pid
    try:
        os.setsid()
        if console:
            attach_console(console)
        if gate is not None:
            with open(gate, "rb") as fifo:
                fifo.read(1)
        env = dict(e.split("=", 1) for e in process.get("env", []))
        os.chdir(process.get("cwd") or "/")
        os.execvpe(process["args"][0], process["args"], env)
    finally:
        os._exit(127)


def check_executable(log: Path, process: dict[str, Any], verb: str) -> None:
    path = dict(e.split("=", 1) for e in process.get("env", [])).get("PATH", "/bin:/usr/bin")
    if shutil.which(process["args"][0], path=path) is None:
        fail(log, f'{verb} failed: exec: "{process["args"][0]}": '
                  "executable file not found in $PATH")


def main(argv: list[str]) -> None:
    at = next(i for i, arg in enumerate(argv) if arg in COMMANDS)
    glob, _ = options(argv[:at], ())
    command = argv[at]
    opts, positional = options(argv[at + 1 :], ("--detach", "--all", "--force"))
    root, log = Path(glob["--root"]), Path(glob["--log"])
    state = root / positional[0]
    if command == "create":
        process = json.loads((Path(opts["--bundle"]) / "config.json").read_text())["process"]
        check_executable(log, process, "runc create")
        state.mkdir(parents=True)
        os.mkfifo(state / "exec.fifo")
        pid = spawn(process, opts.get("--console-socket"), state / "exec.fifo")
        (state / "pid").write_text(str(pid))
        Path(opts["--pid-file"]).write_text(str(pid))
    elif command == "start":
        with open(state / "exec.fifo", "wb") as fifo:
            fifo.write(b"0")
    elif command == "exec":
        process = json.loads(Path(opts["--process"]).read_text())
        check_executable(log, process, "exec")
        pid = spawn(process, opts.get("--console-socket"), None)
        Path(opts["--pid-file"]).write_text(str(pid))
    elif command == "kill":
        pid = int((state / "pid").read_text())
        try:
            (os.killpg if "--all" in opts else os.kill)(pid, int(positional[1]))
        except ProcessLookupError:
            fail(log, "container not running")
    elif command == "delete":
        if "--force" in opts:
            with contextlib.suppress(ProcessLookupError, FileNotFoundError):
                os.killpg(int((state / "pid").read_text()), signal.SIGKILL)
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
