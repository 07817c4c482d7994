"""``registry serve``: run wharf's built-in OCI distribution registry in this process.

The CLI never imports the server (client and server sides stay apart): it replaces itself
with ``python -m wharf.registry.server`` and the same flags.
"""

from __future__ import annotations

import os
import sys

from wharf.cli.command import Command, Context
from wharf.cli.flags import STRING, Flag, Parsed

SERVER_MODULE = "wharf.registry.server"
DEFAULT_ADDRESS = "127.0.0.1:5000"


def server_argv(opts: Parsed) -> list[str]:
    argv = [sys.executable, "-m", SERVER_MODULE, "--addr", str(opts["addr"])]
    for name in ("root", "htpasswd"):
        if opts[name]:
            argv += [f"--{name}", str(opts[name])]
    return argv


def serve(ctx: Context, opts: Parsed) -> int:
    argv = server_argv(opts)
    for stream in (ctx.stdout, ctx.stderr):
        stream.flush()
    os.execv(argv[0], argv)
    return 0  # not reached: execv replaces the process or raises OSError


SERVE = Command(
    "[OPTIONS]", "Run an OCI distribution registry", serve,
    (Flag("addr", "", STRING, "Address to listen on (host:port)", default=DEFAULT_ADDRESS),
     Flag("htpasswd", "", STRING, "Require basic auth with the users of this htpasswd file "
                                  "(bcrypt)"),
     Flag("root", "", STRING, "Directory that holds the registry's content (default "
                              "\"/var/lib/wharf-registry\", the server's)")),
    max_args=0)
