"""What every command gets (``Context``) and what every command is (``Command``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from wharf.cli.flags import Flag, Parsed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

    from wharf.client.api import Client
    from wharf.client.hosts import TLSSettings

PROG = "wharf"


class CommandFailed(Exception):
    """Stop the command with ``status`` after the message was printed (or with ``message``)."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message or f"exit status {status}")
        self.status = status
        self.message = message


class GlobalOptions:
    """The daemon address and TLS flags given before the command.

    (Records here are slotted classes: ``dataclasses`` imports ``inspect``, ~10 ms of the
    40 ms start-up budget.)
    """

    __slots__ = ("debug", "host", "tls", "tls_ca", "tls_cert", "tls_key", "tls_verify")

    def __init__(self, host: str | None = None, tls: bool = False,
                 tls_verify: bool | None = None, tls_ca: str | None = None,
                 tls_cert: str | None = None, tls_key: str | None = None,
                 debug: bool = False) -> None:
        self.host = host
        self.tls = tls
        self.tls_verify = tls_verify
        self.tls_ca = tls_ca
        self.tls_cert = tls_cert
        self.tls_key = tls_key
        self.debug = debug


class Context:
    """The streams, environment and (lazily) the API client of one invocation."""

    def __init__(self, path: str, options: GlobalOptions, env: Mapping[str, str],
                 stdin: BinaryIO, stdout: BinaryIO, stderr: BinaryIO) -> None:
        self.path = path  # the command as invoked: "run", "container ls"
        self.options = options
        self.env = env
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self._client: Client | None = None

    def client(self) -> Client:
        if self._client is None:
            from wharf.client.api import Client
            from wharf.client.hosts import resolve_host
            from wharf.core.errors import InvalidParameter

            try:
                address = resolve_host(self.options.host, self.env)
                self._client = Client.from_address(address, self._tls(),
                                                   self.env.get("DOCKER_API_VERSION") or None)
            except InvalidParameter as exc:
                raise _endpoint_error(str(exc)) from exc
        return self._client

    def _tls(self) -> TLSSettings | None:
        import os

        from wharf.client.hosts import tls_settings

        o = self.options
        settings = tls_settings(self.env, tls=o.tls, verify=o.tls_verify, ca=o.tls_ca,
                                cert=o.tls_cert, key=o.tls_key)
        if settings is not None and settings.verify:
            for path in (settings.ca_file, settings.cert_file, settings.key_file):
                if path and not os.path.exists(path):
                    raise _endpoint_error(f"open {path}: no such file or directory")
        return settings

    def out(self, text: str = "", end: str = "\n") -> None:
        self.stdout.write((text + end).encode("utf-8", "surrogateescape"))

    def err(self, text: str = "", end: str = "\n") -> None:
        self.stdout.flush()
        self.stderr.write((text + end).encode("utf-8", "surrogateescape"))
        self.stderr.flush()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _endpoint_error(reason: str) -> CommandFailed:
    return CommandFailed(1, f"Failed to initialize: unable to resolve wharf endpoint: {reason}")


class Command:
    """A command: its usage text, flags, argument bounds and handler."""

    __slots__ = ("description", "flags", "handler", "interspersed", "max_args", "min_args",
                 "run_style_errors", "summary", "usage")

    def __init__(self, usage: str, summary: str, handler: Callable[[Context, Parsed], int],
                 flags: tuple[Flag, ...] = (), *, min_args: int = 0,
                 max_args: int | None = None, interspersed: bool = True,
                 run_style_errors: bool = False, description: str = "") -> None:
        self.usage = usage  # after "wharf <path> ": "[OPTIONS] IMAGE [COMMAND] [ARG...]"
        self.summary = summary
        self.handler = handler
        self.flags = flags
        self.min_args = min_args
        self.max_args = max_args  # None: no upper bound
        self.interspersed = interspersed  # False: flags end at the first argument (run, exec)
        self.run_style_errors = run_style_errors  # "wharf: <error>" + hint, exit 125
        self.description = description


def arg_count_error(path: str, command: Command, count: int) -> str | None:
    """Docker's wording when the number of positional arguments is wrong, else None."""
    lo, hi = command.min_args, command.max_args
    quoted = f"'{PROG} {path}'"
    if hi is not None and lo == hi and count != lo:
        plural = "argument" if lo == 1 else "arguments"
        return f"{quoted} requires {lo} {plural}" if lo else f"{quoted} accepts no arguments"
    if count < lo:
        plural = "argument" if lo == 1 else "arguments"
        return f"{quoted} requires at least {lo} {plural}"
    if hi is not None and count > hi:
        plural = "argument" if hi == 1 else "arguments"
        return f"{quoted} requires at most {hi} {plural}"
    return None


def describe_error(exc: Exception) -> str:
    """``Error response from daemon: ...`` for API errors; connection errors and streams cut
    off (``unexpected EOF``) as they are, like docker's."""
    from wharf.client.transport import ConnectionFailed, StreamTruncated

    if isinstance(exc, ConnectionFailed | StreamTruncated):
        return str(exc)
    return f"Error response from daemon: {exc}"
