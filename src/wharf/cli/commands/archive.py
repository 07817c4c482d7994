"""``save`` and ``load``: image archives (docker-archive / OCI layout tars) in and out.

``save`` writes to ``-o FILE`` (through a temporary file renamed into place, as docker does)
or to stdout when it is not a terminal. ``load`` reads ``-i FILE`` or stdin (not a terminal);
off a terminal it asks the daemon for quiet output, like docker.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.flags import BOOL, STRING, Flag, Parsed

CHUNK = 1 << 20
TERMINAL_REFUSAL = "cowardly refusing to save to a terminal. Use the -o flag or redirect"


def check_output_path(path: str) -> None:
    """docker's ``ValidateOutputPath``: the directory exists; the path is no directory."""
    directory = os.path.dirname(os.path.normpath(path))
    if directory:
        try:
            os.stat(directory)
        except OSError as exc:
            raise CommandFailed(1, f"failed to save image: invalid output path: stat "
                                   f"{directory}: {_reason(exc)}") from exc
    if os.path.isdir(path):
        raise CommandFailed(1, "failed to save image: cannot write to a directory")


def _reason(exc: OSError) -> str:
    return str(exc.strerror or exc).lower()


def write_to_file(path: str, pieces: Iterable[bytes]) -> None:
    """Write through ``.wharf_temp_*`` beside ``path`` and rename; nothing is left on error."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=".wharf_temp_", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in pieces:
                handle.write(piece)
        os.rename(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def save(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.session import is_terminal

    output = str(opts["output"])
    if not output and is_terminal(ctx.stdout):
        raise CommandFailed(1, TERMINAL_REFUSAL)
    if output:
        check_output_path(output)
    pieces = ctx.client().images.save(list(opts.args))
    if output:
        write_to_file(output, pieces)
        return 0
    for piece in pieces:
        ctx.stdout.write(piece)
    return 0


def _chunks(handle: object) -> Iterator[bytes]:
    read = getattr(handle, "read")  # noqa: B009 - a binary stream or file
    while True:
        data = read(CHUNK)
        if not data:
            return
        yield data


def load(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.session import is_terminal

    source = str(opts["input"])
    if not source and is_terminal(ctx.stdin):
        raise CommandFailed(1, "requested load from stdin, but stdin is empty")
    quiet = bool(opts["quiet"]) or not is_terminal(ctx.stdout)
    if not source:
        return _load_from(ctx, ctx.stdin, quiet)
    try:
        handle = open(source, "rb")  # noqa: SIM115 - closed below, streamed lazily
    except OSError as exc:
        raise CommandFailed(1, f"open {source}: {_reason(exc)}") from exc
    with handle:
        return _load_from(ctx, handle, quiet)


def _load_from(ctx: Context, handle: object, quiet: bool) -> int:
    from wharf.cli.progress import display_messages
    from wharf.cli.session import is_terminal
    from wharf.lib import jsoncodec

    is_json, body = ctx.client().images.load(_chunks(handle), quiet)
    if not is_json:
        for piece in body:
            ctx.stdout.write(piece)
        return 0
    messages = (jsoncodec.loads(line) for line in _lines(body))
    display_messages(messages, ctx.stdout, is_terminal(ctx.stdout))
    return 0


def _lines(pieces: Iterable[bytes]) -> Iterator[bytes]:
    pending = b""
    for piece in pieces:
        pending += piece
        *lines, pending = pending.split(b"\n")
        yield from (line for line in lines if line.strip())
    if pending.strip():
        yield pending


SAVE = Command(
    "[OPTIONS] IMAGE [IMAGE...]",
    "Save one or more images to a tar archive (streamed to STDOUT by default)", save,
    (Flag("output", "o", STRING, "Write to a file, instead of STDOUT"),),
    min_args=1)
LOAD = Command(
    "[OPTIONS]", "Load an image from a tar archive or STDIN", load,
    (Flag("input", "i", STRING, "Read from tar archive file, instead of STDIN"),
     Flag("quiet", "q", BOOL, "Suppress the load output")),
    max_args=0)
