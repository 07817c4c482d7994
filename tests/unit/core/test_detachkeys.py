"""Detach-key specs as Docker reads them, and the detector over a typed input stream."""

from __future__ import annotations

import pytest

from wharf.core.detachkeys import DEFAULT_DETACH_KEYS, EscapeDetector, parse_detach_keys


def test_specs_as_docker_reads_them() -> None:
    assert parse_detach_keys(DEFAULT_DETACH_KEYS) == b"\x10\x11"
    assert parse_detach_keys("ctrl-a,x,CTRL-Z") == b"\x01x\x1a"
    assert parse_detach_keys("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_") == bytes(
        [0, 27, 28, 29, 30, 31])


@pytest.mark.parametrize("spec", ["", "ctrl-1", "ctrl-", "abc", "ctrl-ab", "é", "a,,b"])
def test_bad_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="Unknown character"):
        parse_detach_keys(spec)


def feed_all(detector: EscapeDetector, chunks: list[bytes]) -> bytes:
    return b"".join(detector.feed(chunk) for chunk in chunks)


def test_the_sequence_detaches_and_is_never_forwarded() -> None:
    detector = EscapeDetector(b"\x10\x11")
    assert feed_all(detector, [b"ls\r", b"\x10", b"\x11", b"after"]) == b"ls\r"
    assert detector.detached


def test_the_sequence_inside_one_chunk() -> None:
    detector = EscapeDetector(b"\x10\x11")
    assert detector.feed(b"abc\x10\x11def") == b"abc"
    assert detector.detached


def test_a_partial_sequence_passes_through_with_what_follows() -> None:
    detector = EscapeDetector(b"\x10\x11")
    assert detector.feed(b"\x10") == b""  # held: it may be the start
    assert detector.feed(b"x") == b"\x10x"
    assert detector.feed(b"\x10\x10") == b"\x10"  # the second one may start the sequence
    assert detector.feed(b"\x11") == b""
    assert detector.detached


def test_held_bytes_are_released_at_the_end_of_input() -> None:
    detector = EscapeDetector(b"abc")
    assert detector.feed(b"xab") == b"x"
    assert detector.flush() == b"ab"
    assert not detector.detached


def test_overlapping_prefixes() -> None:
    detector = EscapeDetector(b"aab")
    assert feed_all(detector, [b"a", b"a", b"a", b"b"]) == b"a"
    assert detector.detached
