"""Build cache prune filters and Go durations; image prune's ``unused-for``."""

from __future__ import annotations

import pytest

from wharf.core.errors import InvalidParameter
from wharf.core.metadata import ImageRecord
from wharf.services.build_prune import CacheSelection, cache_selection, go_duration
from wharf.services.image_prune import last_use, unused_for


@pytest.mark.parametrize(("text", "seconds"), [
    ("72h", 259200.0), ("1h30m", 5400.0), ("1.5s", 1.5), ("0", 0.0), ("250ms", 0.25),
    ("-2m", -120.0), ("1ns", 1e-9),
])
def test_go_durations(text: str, seconds: float) -> None:
    assert go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "24", "1d", "h", "1h 2m", "abc"])
def test_bad_go_durations(text: str) -> None:
    with pytest.raises(ValueError, match="time: invalid duration"):
        go_duration(text)


def test_cache_selection() -> None:
    assert cache_selection({}) == CacheSelection()
    assert cache_selection({"until": ["1h"]}, now=10_000.0) == CacheSelection(False, 6_400.0)
    assert cache_selection({"unused-for": ["10s"], "until": ["1h"]}, now=10_000.0) == \
        CacheSelection(False, 6_400.0)
    assert cache_selection({"label": ["a"]}).nothing
    assert not cache_selection({"label!": ["a"]}).nothing
    with pytest.raises(InvalidParameter, match="\"until\" filter expects a duration"):
        cache_selection({"until": ["1700000000"]})
    with pytest.raises(InvalidParameter, match="not supported yet: inuse, type"):
        cache_selection({"type": ["regular"], "inuse": ["true"]})


def test_unused_for_and_last_use() -> None:
    assert unused_for("72h") == 259200.0
    for bad in ("0", "-1h", "soon", ""):
        with pytest.raises(InvalidParameter, match=f"invalid filter 'unused-for={bad}'"):
            unused_for(bad)
    record = ImageRecord("sha256:1", "c", "", "2026-01-01T00:00:00Z", 1, [])
    assert last_use(record) == 1767225600.0  # never tagged nor used: its creation
    tagged = ImageRecord("sha256:1", "c", "", "2026-01-01T00:00:00Z", 1, [],
                         last_tag_time="2026-01-02T00:00:00Z",
                         last_used="2026-01-03T00:00:00.5Z")
    assert last_use(tagged) == 1767398400.5
