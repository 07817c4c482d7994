"""core.units: go-units' byte sizes and Go's duration syntax, shared by the CLI and the daemon."""

from __future__ import annotations

import pytest

from wharf.core.units import bytes_size, parse_go_duration

MB = 1024 * 1024


@pytest.mark.parametrize(("text", "ns"), [
    ("0", 0), ("200ms", 200_000_000), ("1.5s", 1_500_000_000), ("1m30s", 90_000_000_000),
    ("-1s", -1_000_000_000), ("+2h", 7_200_000_000_000), ("10us", 10_000), ("3µs", 3_000),
    (".5m", 30_000_000_000),
])
def test_go_durations(text: str, ns: int) -> None:
    assert parse_go_duration(text) == ns


@pytest.mark.parametrize("text", ["", "24", "1d", "h", "1h 2m", "-", "--2m"])
def test_bad_go_durations_have_gos_message(text: str) -> None:
    with pytest.raises(ValueError, match=f'^time: invalid duration "{text}"$'):
        parse_go_duration(text)


def test_bytes_size_is_binary_with_four_digits() -> None:
    assert [bytes_size(v) for v in (0, 1023, 1024, 2 * MB + 1000)] == \
        ["0B", "1023B", "1KiB", "2.001MiB"]
