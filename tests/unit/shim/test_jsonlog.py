"""Docker's json-file log lines."""

from __future__ import annotations

import json
from pathlib import Path

from wharf.runtime.shim.jsonlog import MAX_LINE, JsonLogWriter, encode_entry


def read(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_entry_format() -> None:
    line = encode_entry("é\n".encode(), "stdout", "2024-01-01T00:00:00.000000000Z")
    expected = '{"log":"é\\n","stream":"stdout","time":"2024-01-01T00:00:00.000000000Z"}\n'
    assert line == expected.encode()
    assert json.loads(encode_entry(b"\xff\n", "stderr", "t"))["log"] == "\ufffd\n"


def test_lines_split_and_joined_per_stream(tmp_path: Path) -> None:
    log = JsonLogWriter(tmp_path / "c-json.log")
    log.write("stdout", b"one\ntw")
    log.write("stderr", b"err\n")
    log.write("stdout", b"o\nthree")
    log.flush("stdout")
    log.close()
    entries = read(tmp_path / "c-json.log")
    assert [(e["stream"], e["log"]) for e in entries] == [
        ("stdout", "one\n"), ("stderr", "err\n"), ("stdout", "two\n"), ("stdout", "three"),
    ]
    assert all(e["time"].endswith("Z") and len(e["time"]) == 30 for e in entries)


def test_long_partial_line_is_flushed_in_pieces(tmp_path: Path) -> None:
    log = JsonLogWriter(tmp_path / "l.log")
    log.write("stdout", b"x" * (MAX_LINE * 2 + 10))
    log.write("stdout", b"\n")
    log.close()
    pieces = [e["log"] for e in read(tmp_path / "l.log")]
    assert pieces == ["x" * MAX_LINE, "x" * MAX_LINE, "x" * 10 + "\n"]


def test_rotation(tmp_path: Path) -> None:
    log = JsonLogWriter(tmp_path / "r.log", max_size=200)
    for i in range(10):
        log.write("stdout", f"line {i}\n".encode())
    log.close()
    assert (tmp_path / "r.log.1").exists()
    assert (tmp_path / "r.log").stat().st_size <= 200
    assert read(tmp_path / "r.log")[-1]["log"] == "line 9\n"


def test_appends_to_existing_log(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    for text in (b"first\n", b"second\n"):
        log = JsonLogWriter(path)
        log.write("stdout", text)
        log.close()
    assert [e["log"] for e in read(path)] == ["first\n", "second\n"]
