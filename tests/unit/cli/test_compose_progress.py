"""The one compose progress writer: plain lines, the redrawn ``[+]`` block on a terminal,
quiet, warnings, and how ``--progress``/``--ansi`` choose between them."""

from __future__ import annotations

import io

import pytest

from wharf.cli.command import CommandFailed, Context, GlobalOptions
from wharf.cli.commands.compose_common import _OPTIONS, ComposeOptions
from wharf.cli.commands.compose_progress import Progress, progress_mode


def _context() -> tuple[Context, io.BytesIO]:
    err = io.BytesIO()
    return Context("compose stop", GlobalOptions(), {}, io.BytesIO(), io.BytesIO(), err), err


def test_plain_progress_prints_each_event() -> None:
    ctx, err = _context()
    progress = Progress(ctx, "Stopping", mode="plain")
    progress.working("Container p-web-1", "Stopping")
    progress.done("Container p-web-1", "Stopped")
    progress.finish()
    assert err.getvalue().decode() == (" Container p-web-1  Stopping\n"
                                       " Container p-web-1  Stopped\n")


def test_tty_progress_prints_a_block_at_the_end() -> None:
    ctx, err = _context()
    progress = Progress(ctx, "Stopping", mode="tty")
    progress.done("Container p-db-1", "Stopped")
    progress.done("Container p-web-12", "Stopped")
    progress.error("Container p-x-1")
    progress.finish()
    drawn = err.getvalue().decode()
    assert drawn.startswith("[+] Stopping 1/1\x1b[K\n ✔ Container p-db-1  Stopped ")
    last = drawn.rsplit("\x1b[4A\r", 1)[1]  # each block drawn over the one before
    lines = last.replace("\x1b[K", "").splitlines()
    assert lines[0] == "[+] Stopping 2/3"
    assert lines[1].startswith(" ✔ Container p-db-1    Stopped ")
    assert lines[2].startswith(" ✔ Container p-web-12  Stopped ") and lines[2].endswith("s")
    assert lines[3].startswith(" ✘ Container p-x-1     Error ")


def test_a_warning_ends_the_block_and_the_next_event_starts_a_new_one() -> None:
    ctx, err = _context()
    progress = Progress(ctx, mode="tty")
    progress.done("Network p_default", "Created")
    progress.warn("careful")
    progress.done("Container p-web-1", "Started")
    drawn = err.getvalue().decode()
    assert "A\r" not in drawn.split("WARN[0000] careful\n", 1)[1]  # nothing drawn over it
    assert drawn.endswith("[+] Running 1/1\x1b[K\n ✔ Container p-web-1  Started    0.0s\x1b[K\n")


def test_quiet_shows_no_event_but_warnings() -> None:
    ctx, err = _context()
    progress = Progress(ctx, mode="quiet")
    progress.done("Container p-web-1", "Started")
    progress.finish()
    progress.warn("careful")
    assert progress.quiet and err.getvalue().decode() == "WARN[0000] careful\n"


@pytest.mark.parametrize("progress,ansi,mode", [
    ("auto", "auto", "plain"), ("auto", "always", "tty"), ("auto", "never", "plain"),
    ("tty", "never", "tty"), ("plain", "always", "plain"), ("quiet", "auto", "quiet")])
def test_mode_from_progress_and_ansi(progress: str, ansi: str, mode: str) -> None:
    ctx, _err = _context()  # stderr is no terminal
    _OPTIONS[id(ctx)] = ComposeOptions(progress=progress, ansi=ansi)
    try:
        assert progress_mode(ctx) == mode
    finally:
        del _OPTIONS[id(ctx)]


def test_an_unknown_progress_is_refused() -> None:
    ctx, _err = _context()
    _OPTIONS[id(ctx)] = ComposeOptions(progress="fancy")
    try:
        with pytest.raises(CommandFailed, match="unsupported --progress value 'fancy'"):
            Progress(ctx)
    finally:
        del _OPTIONS[id(ctx)]
