"""The compact terminal view of a build: steps, outcomes, the failing step's output."""

from __future__ import annotations

import io
import re

from wharf.cli.build_rich import CompactBuildView
from wharf.cli.build_view import KEPT_LINES, TAIL_LINES, BuildSteps


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_steps_follow_the_classic_stream() -> None:
    clock = Clock()
    steps = BuildSteps(clock)
    steps.feed({"stream": "Step 1/3 : FROM busybox\n"})
    steps.feed({"stream": " ---> 0123456789ab\n"})
    steps.feed({"stream": "Step 2/3 : COPY . /app\n ---> Using cache\n ---> 22222222"})
    steps.feed({"stream": "2222\n"})  # a line split across messages
    steps.feed({"stream": "Step 3/3 : RUN make\n ---> Running in 333333333333\n"})
    clock.now = 102.5
    for i in range(20):
        steps.feed({"stream": f"cc -c f{i}.c\n"})
    assert steps.current is not None and steps.current.number == 3
    assert steps.tail() == [f"cc -c f{i}.c" for i in range(20 - TAIL_LINES, 20)]
    steps.feed({"stream": "Removing intermediate container 333333333333\n"})
    steps.feed({"stream": " ---> 444444444444\n"})
    steps.feed({"stream": "Successfully built 444444444444\n"})
    steps.finish()
    first, second, third = steps.steps
    assert (first.instruction, second.cached, third.cached) == ("FROM busybox", True, False)
    assert third.outcome(200.0) == "2.5s" and second.outcome(200.0) == "cached"
    assert steps.notes == ["Successfully built 444444444444"]
    assert steps.current is None


def test_pull_progress_and_long_output_are_bounded() -> None:
    steps = BuildSteps(Clock())
    steps.feed({"stream": "Step 1/1 : FROM debian\n"})
    steps.feed({"status": "Downloading", "id": "abc", "progress": "[=> ] 1MB/9MB"})
    assert steps.tail() == ["abc: Downloading [=> ] 1MB/9MB"]
    for i in range(KEPT_LINES + 50):
        steps.feed({"stream": f"{i}\n"})
    current = steps.current
    assert current is not None and len(current.output) == KEPT_LINES
    assert current.output[-1] == str(KEPT_LINES + 49)


def _plain(data: bytes) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", data.decode())


def test_compact_view_leaves_one_line_per_step_and_the_notes() -> None:
    out = io.BytesIO()
    view = CompactBuildView(out)
    for message in ({"stream": "Step 1/2 : FROM busybox\n"}, {"stream": " ---> 01234567\n"},
                    {"stream": "Step 2/2 : RUN echo hi\n"}, {"stream": "hi\n"},
                    {"stream": " ---> 89abcdef\n"},
                    {"stream": "Successfully tagged app:latest\n"}):
        view.show(message)
    view.close()
    text = _plain(out.getvalue())
    assert "[1/2] FROM busybox" in text and "[2/2] RUN echo hi" in text
    assert "Successfully tagged app:latest" in text
    assert text.index("[1/2]") < text.index("[2/2]") < text.index("Successfully tagged")


def test_compact_view_shows_a_failing_steps_whole_output() -> None:
    out = io.BytesIO()
    view = CompactBuildView(out)
    view.show({"stream": "Step 1/1 : RUN make\n"})
    for i in range(30):
        view.show({"stream": f"line {i}\n"})
    view.fail()
    view.close()
    text = _plain(out.getvalue())
    assert "[1/1] RUN make  failed" in text
    assert all(f"line {i}" in text for i in range(30))
