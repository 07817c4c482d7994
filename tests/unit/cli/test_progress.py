"""Progress rendering from recorded message streams.

``streams/*.jsonl`` are progress streams in the daemon's shape (shared decision 4);
``streams/*.docker.txt`` is what the stock docker CLI 28.2 printed for them off a terminal
(served through the fake engine), the oracle for the plain rendering.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from wharf.cli.progress import (
    StreamFailed,
    display_messages,
    drain_messages,
    plain_line,
)

STREAMS = Path(__file__).parent / "streams"


def recorded(name: str) -> list[dict[str, Any]]:
    text = (STREAMS / f"{name}.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def docker_printed(name: str, drop_first: int, drop_last: int) -> str:
    """The docker CLI's lines for the stream alone (without "Using default tag" and the
    reference printed after a pull, which are the command's, not the stream's)."""
    lines = (STREAMS / f"{name}.docker.txt").read_text().splitlines(keepends=True)
    return "".join(lines[drop_first:len(lines) - drop_last])


def plain(messages: list[dict[str, Any]]) -> str:
    out = io.BytesIO()
    display_messages(messages, out, terminal=False)
    return out.getvalue().decode()


def test_plain_pull_is_what_docker_prints() -> None:
    assert plain(recorded("pull")) == docker_printed("pull", 1, 1)


def test_plain_push_is_what_docker_prints_and_aux_is_not_shown() -> None:
    seen: list[dict[str, Any]] = []
    out = io.BytesIO()
    display_messages(recorded("push"), out, terminal=False, on_aux=seen.append)
    assert out.getvalue().decode() == docker_printed("push", 1, 0)
    assert seen == [recorded("push")[-1]]


def test_an_error_ends_the_stream_with_its_message() -> None:
    out = io.BytesIO()
    with pytest.raises(StreamFailed) as failure:
        display_messages(recorded("pull_failed"), out, terminal=False)
    assert failure.value.message == "unexpected EOF"
    assert failure.value.status == 1
    assert "never shown" not in out.getvalue().decode()
    assert out.getvalue().decode() == docker_printed("pull_failed", 1, 0)


def test_error_without_detail_and_quiet_drain() -> None:
    with pytest.raises(StreamFailed, match=r"^denied$"):
        drain_messages([{"status": "x"}, {"error": "denied"}])
    drain_messages(recorded("pull"))  # no error: nothing raised, nothing shown


def test_plain_line_shapes() -> None:
    assert plain_line({"status": "Waiting", "id": "abc"}) == "abc: Waiting\n"
    assert plain_line({"stream": "Loaded image: x:latest\n"}) == "Loaded image: x:latest\n"
    assert plain_line({"status": "Downloading", "id": "a",
                       "progressDetail": {"current": 1, "total": 5}}) is None
    assert plain_line({"status": "Pulling fs layer", "id": "a", "progressDetail": {}}) == \
        "a: Pulling fs layer\n"


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_terminal_rendering_keeps_one_line_per_layer_with_bars() -> None:
    from rich.console import Console

    from wharf.cli.progress_rich import RichDisplay

    out = io.BytesIO()
    display = RichDisplay(out)
    display.console = Console(file=io.StringIO(), force_terminal=True, width=100)
    snapshots = []
    for message in recorded("pull")[:7]:  # up to the first layer's download progress
        display.show(message)
    display.console.print(display.renderable())
    snapshots.append(ANSI.sub("", display.console.file.getvalue()))  # type: ignore[attr-defined]
    mid = snapshots[0].splitlines()
    layer = next(line for line in mid if line.startswith("a1b2c3d4e5f6:"))
    assert "Downloading" in layer and "━" in layer and "1.081MB/2.152MB" in layer
    for message in recorded("pull")[7:]:
        display.show(message)
    final = io.StringIO()
    Console(file=final, force_terminal=False, width=100).print(display.renderable())
    lines = [line.rstrip() for line in final.getvalue().splitlines()]
    assert lines == ["latest: Pulling from library/busybox",
                     "99aa88bb77cc: Already exists",
                     "a1b2c3d4e5f6: Pull complete",
                     "0f1e2d3c4b5a: Pull complete",
                     "Digest: sha256:" + "d" * 64,
                     "Status: Downloaded newer image for busybox:latest"]
    display.close()
    assert not out.closed  # the command's stream outlives the display


def test_terminal_display_is_used_on_a_terminal_and_writes_the_final_state() -> None:
    out = io.BytesIO()
    display_messages(recorded("push"), out, terminal=True)
    text = ANSI.sub("", out.getvalue().decode())
    assert "a1b2c3d4e5f6: Pushed" in text
    assert "99aa88bb77cc: Layer already exists" in text
    words = text.split()  # a line longer than the console is wrapped
    assert " ".join(words).endswith(f"latest: digest: sha256:{'d' * 64} size: 735")
