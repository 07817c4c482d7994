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
    log = JsonLogWriter(tmp_path / "r.log", max_size=200, max_files=2)
    for i in range(10):
        log.write("stdout", f"line {i}\n".encode())
    log.close()
    assert (tmp_path / "r.log.1").exists()
    assert (tmp_path / "r.log").stat().st_size <= 200
    assert read(tmp_path / "r.log")[-1]["log"] == "line 9\n"


def test_rotation_keeps_max_files_oldest_last(tmp_path: Path) -> None:
    path = tmp_path / "k.log"
    log = JsonLogWriter(path, max_size=300, max_files=3)
    for i in range(100):
        log.write("stdout", f"line {i:03d}\n".encode())
    log.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["k.log", "k.log.1", "k.log.2"]
    assert all(p.stat().st_size <= 300 for p in tmp_path.iterdir())
    lines = [e["log"] for name in ("k.log.2", "k.log.1", "k.log") for e in read(tmp_path / name)]
    last = int(lines[0].split()[1])
    assert lines == [f"line {i:03d}\n" for i in range(last, 100)]  # in order, no gap


def test_rotation_with_one_file_starts_over(tmp_path: Path) -> None:
    path = tmp_path / "o.log"
    log = JsonLogWriter(path, max_size=300, max_files=1)
    for i in range(100):
        log.write("stdout", f"line {i:03d}\n".encode())
    log.close()
    assert [p.name for p in tmp_path.iterdir()] == ["o.log"]
    assert path.stat().st_size <= 300 and read(path)[-1]["log"] == "line 099\n"


def test_appends_to_existing_log(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    for text in (b"first\n", b"second\n"):
        log = JsonLogWriter(path)
        log.write("stdout", text)
        log.close()
    assert [e["log"] for e in read(path)] == ["first\n", "second\n"]


def test_one_big_write_is_spread_over_files_none_past_max_size(tmp_path: Path) -> None:
    path = tmp_path / "b.log"
    log = JsonLogWriter(path, max_size=4000, max_files=50)
    log.write("stdout", b"".join(f"row {i:05d}\n".encode() for i in range(3000)))
    log.close()
    files = list(tmp_path.iterdir())
    assert len(files) > 10 and all(p.stat().st_size <= 4000 for p in files)
    order = [path, *(tmp_path / f"b.log.{n}" for n in range(1, 50))]
    kept = [e["log"] for p in reversed(order) if p.exists() for e in read(p)]
    assert kept[-1] == "row 02999\n"
    first = int(kept[0].split()[1])
    assert kept == [f"row {i:05d}\n" for i in range(first, 3000)]
