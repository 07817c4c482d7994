"""Go formats of the history, --chown lookups, cache keys."""

from __future__ import annotations

import pytest

from wharf.build.cachekey import step_key
from wharf.build.gofmt import go_duration, go_quote_list, parse_go_duration
from wharf.build.users import resolve_chown
from wharf.core.errors import InvalidParameter

PASSWD = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n"
GROUP = "root:x:0:\nstaff:x:50:\napp:x:1001:\n"


def test_go_quote_and_durations() -> None:
    assert go_quote_list(["/bin/sh", "-c", 'echo "hi"\n']) == '["/bin/sh" "-c" "echo \\"hi\\"\\n"]'
    assert [go_duration(n) for n in (0, 5_000_000_000, 90_000_000_000, 500_000_000,
                                     3_600_000_000_000)] == ["0s", "5s", "1m30s", "500ms",
                                                             "1h0m0s"]
    assert parse_go_duration("1m30s") == 90_000_000_000
    assert parse_go_duration("1.5s") == 1_500_000_000
    with pytest.raises(InvalidParameter):
        parse_go_duration("5")


def test_chown_names_and_numbers() -> None:
    assert resolve_chown("app", PASSWD, GROUP) == (1000, 1001)
    assert resolve_chown("app:staff", PASSWD, GROUP) == (1000, 50)
    assert resolve_chown("7:8", None, None) == (7, 8)
    assert resolve_chown("9", None, None) == (9, 9)
    with pytest.raises(InvalidParameter, match="unable to find user nobody: no matching "
                       "entries in passwd file"):
        resolve_chown("nobody", PASSWD, GROUP)
    with pytest.raises(InvalidParameter, match="invalid chown string format: a:b:c"):
        resolve_chown("a:b:c", PASSWD, GROUP)


def test_cache_key_changes_with_each_part() -> None:
    base = step_key("sha256:p", "RUN x", ["a"])
    assert base == step_key("sha256:p", "RUN x", ["a"])
    assert len({base, step_key("sha256:q", "RUN x", ["a"]), step_key("sha256:p", "RUN y", ["a"]),
                step_key("sha256:p", "RUN x", ["b"])}) == 4
