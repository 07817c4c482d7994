"""``wharf compose logs``: compose's prefixes (width, colours), whole lines from pieces, and
the command against the fake engine."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wharf.cli.commands.compose_logs import (
    RAINBOW,
    LinePrinter,
    prefixes,
    split_lines,
    split_stamp,
)
from wharf.client.streams import encode_frame
from wharf.compose import labels


def test_prefix_width_is_the_longest_name_plus_one() -> None:
    assert prefixes(["web-1", "db-1"], colour=False) == {"web-1": "web-1  | ",
                                                         "db-1": "db-1   | "}


def test_prefix_colours_follow_compose_rainbow() -> None:
    names = [f"s{i}-1" for i in range(11)]
    coloured = prefixes(names, colour=True)
    assert coloured["s0-1"] == "\x1b[36ms0-1   | \x1b[0m"
    assert coloured["s1-1"].startswith("\x1b[33m")
    assert coloured["s5-1"].startswith("\x1b[36;1m")
    assert coloured["s10-1"].startswith(f"\x1b[{RAINBOW[0]}m")  # the rainbow wraps


def test_printer_writes_whole_lines_from_pieces() -> None:
    out = io.BytesIO()
    printer = LinePrinter(out, ["a-1"], colour=False)
    printer.copy("a-1", [b"one\ntw", b"o\n", b"three"])
    assert out.getvalue() == b"a-1  | one\na-1  | two\na-1  | three\n"


def test_a_name_met_later_widens_every_prefix() -> None:
    out = io.BytesIO()
    printer = LinePrinter(out, ["a-1"], colour=False)
    printer.register("web-10")
    printer.copy("a-1", [b"x\n"])
    printer.copy("web-10", [b"y\n"])
    assert out.getvalue() == b"a-1     | x\nweb-10  | y\n"
    bare = io.BytesIO()
    LinePrinter(bare, ["a-1"], colour=True, shown=False).copy("a-1", [b"z"])
    assert bare.getvalue() == b"z\n"


def _container(service: str, number: int) -> dict[str, Any]:
    return {"Id": f"{service}{number}", "Names": [f"/p-{service}-{number}"], "State": "running",
            "Labels": {labels.PROJECT: "p", labels.SERVICE: service,
                       labels.NUMBER: str(number)}}


@pytest.fixture
def project(engine: Any, fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(tmp_path)
    engine.route("GET", "/containers/json", [_container("web", 1), _container("web", 2),
                                             _container("db", 1)])
    engine.route("GET", "/containers/[^/]+/json", {"Config": {"Tty": False}})

    def logs(request: Any) -> Any:
        name = request.path.split("/")[2]
        body = encode_frame(1, f"{name} out\n".encode()) + encode_frame(2, b"oops\n")
        return fake.Reply(body=body, content_type="application/vnd.docker.multiplexed-stream")

    engine.route("GET", "/containers/[^/]+/logs", logs)
    return engine


def test_logs_of_every_container_with_prefixes(wharf: Any, project: Any) -> None:
    result = wharf("compose", "-p", "p", "logs", "--tail", "5", "-t")
    assert result.status == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == [
        "db-1   | db1 out", "db-1   | oops", "web-1  | oops", "web-1  | web1 out",
        "web-2  | oops", "web-2  | web2 out"]
    request = project.find("GET", "/containers/web1/logs")[0]
    assert request.param("tail") == "5" and request.param("timestamps") == "1"
    assert request.param("follow") is None


def test_logs_index_no_prefix_and_ansi(wharf: Any, project: Any) -> None:
    only = wharf("compose", "-p", "p", "logs", "--index", "2", "--no-log-prefix")
    assert sorted(only.stdout.splitlines()) == ["oops", "web2 out"]
    coloured = wharf("compose", "-p", "p", "--ansi", "always", "logs", "--index", "2")
    assert "\x1b[36mweb-2  | \x1b[0mweb2 out" in coloured.stdout.splitlines()
    mono = wharf("compose", "-p", "p", "--ansi", "always", "logs", "--no-color", "--index", "2")
    assert "\x1b" not in mono.stdout


def test_stamps_are_read_to_the_nanosecond() -> None:
    assert split_stamp(b"2026-12-02T17:51:28.123456789Z hello world") == (
        1796233888123456789, b"hello world")
    assert split_stamp(b"2026-12-02T17:51:28Z x") == (1796233888000000000, b"x")
    assert split_stamp(b"2026-12-02T17:51:28.5Z x")[0] == 1796233888500000000
    assert split_stamp(b"no stamp here") == (0, b"no stamp here")
    assert split_stamp(b"2026-13-02T17:51:28Z x") == (0, b"2026-13-02T17:51:28Z x")
    assert list(split_lines([b"a\nb", b"", b"c\n\nd"])) == [b"a", b"bc", b"", b"d"]


def test_follow_asks_for_stamps_and_shows_them_only_with_t(wharf: Any, engine: Any, fake: Any,
                                                          tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    engine.route("GET", "/containers/json", [_container("web", 1)])
    engine.route("GET", "/containers/[^/]+/json", {"Config": {"Tty": False}})
    engine.route("GET", "/events", fake.Reply(chunks=[]))
    body = (encode_frame(1, b"2026-12-02T17:51:28.1Z one\n")
            + encode_frame(1, b"2026-12-02T17:51:28.2Z two\n"))
    engine.route("GET", "/containers/[^/]+/logs", fake.Reply(
        body=body, content_type="application/vnd.docker.multiplexed-stream"))
    plain = wharf("compose", "-p", "p", "logs", "-f")
    assert plain.status == 0 and plain.stdout == "web-1  | one\nweb-1  | two\n"
    request = engine.find("GET", "/containers/web1/logs")[0]
    assert request.param("timestamps") == "1" and request.param("follow") == "1"
    stamped = wharf("compose", "-p", "p", "logs", "-f", "-t").stdout
    assert stamped.splitlines()[0] == "web-1  | 2026-12-02T17:51:28.1Z one"


def _start_event(ident: str, service: str, number: int, oneoff: str = "False") -> bytes:
    attributes = {"name": f"p-{service}-{number}", labels.PROJECT: "p",
                  labels.SERVICE: service, labels.NUMBER: str(number), labels.ONEOFF: oneoff}
    return json.dumps({"Type": "container", "Action": "start", "time": 1,
                       "Actor": {"ID": ident, "Attributes": attributes}}).encode() + b"\n"


def test_follow_takes_containers_that_start_meanwhile(wharf: Any, engine: Any, fake: Any,
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    engine.route("GET", "/containers/json", [_container("web", 1)])
    engine.route("GET", "/containers/[^/]+/json", {"Config": {"Tty": False}, "State": {}})
    engine.route("GET", "/events", fake.Reply(chunks=[
        _start_event("run1", "web", 7, oneoff="True"), _start_event("db1", "db", 1),
        _start_event("web10", "web", 10)], content_type="application/json"))  # in this order

    def logs(request: Any) -> Any:
        name = request.path.split("/")[2]
        return fake.Reply(chunks=stream(name),
                          content_type="application/vnd.docker.multiplexed-stream")

    def stream(name: str) -> Iterator[bytes]:
        yield encode_frame(1, f"2026-12-02T17:51:28Z {name}\n".encode())
        deadline = time.monotonic() + 10  # web1 runs until web10 is followed too
        while name == "web1" and time.monotonic() < deadline and not engine.find(
                "GET", "/containers/web10/logs"):
            time.sleep(0.01)

    engine.route("GET", "/containers/[^/]+/logs", logs)
    result = wharf("compose", "-p", "p", "logs", "-f", "web")
    assert result.status == 0, result.stderr
    lines = sorted(result.stdout.splitlines())
    assert lines[-1] == "web-10  | web10"  # a new name widens the prefixes after it
    assert lines[0].startswith("web-1 ") and lines[0].endswith("| web1")
    assert not engine.find("GET", "/containers/run1/logs")  # one-off containers: not followed
    assert not engine.find("GET", "/containers/db1/logs")  # a service not asked for
    events = engine.find("GET", "/events")[0]
    assert json.loads(events.param("filters") or "{}") == {
        "type": {"container": True}, "event": {"start": True},
        "label": {f"{labels.PROJECT}=p": True}}


def test_follow_waits_out_a_restart_and_goes_on_after_the_last_line(
        wharf: Any, engine: Any, fake: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    engine.route("GET", "/containers/json", [_container("web", 1)])
    runs = [b"2026-12-02T17:51:28.5Z one\n", b"2026-12-02T17:51:28.5Z one\n"
                                              b"2026-12-02T17:51:29Z two\n"]

    def inspect(_request: Any) -> Any:  # restarting until the second stream was opened
        second = len(engine.find("GET", "/containers/web1/logs")) > 1
        return fake.Reply(body={"Config": {"Tty": False}, "State": {"Restarting": not second}})

    def logs(_request: Any) -> Any:
        body = runs[min(len(engine.find("GET", "/containers/web1/logs")), 2) - 1]
        return fake.Reply(body=encode_frame(1, body),
                          content_type="application/vnd.docker.multiplexed-stream")

    def events() -> Iterator[bytes]:  # the start comes once the first run was seen to end
        deadline = time.monotonic() + 10
        while len(engine.find("GET", "/containers/web1/json")) < 2 and \
                time.monotonic() < deadline:
            time.sleep(0.01)
        yield _start_event("web1", "web", 1)

    engine.route("GET", "/containers/web1/json", inspect)
    engine.route("GET", "/containers/web1/logs", logs)
    engine.route("GET", "/events", lambda _r: fake.Reply(chunks=events()))
    result = wharf("compose", "-p", "p", "logs", "-f")
    assert result.status == 0, result.stderr
    assert result.stdout == "web-1  | one\nweb-1  | two\n"  # "one" again is left out
    second = engine.find("GET", "/containers/web1/logs")[1]
    assert second.param("since") == "1796233888.500000000" and second.param("tail") == "all"
