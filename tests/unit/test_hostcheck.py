"""The host check around the test run reports what was left behind and what was taken."""

from __future__ import annotations

from tests.support.hostcheck import HostState, changes


def state(links: set[str], mounts: set[str], cgroups: set[str]) -> HostState:
    return HostState(frozenset(links), frozenset(mounts), frozenset(cgroups))


def test_added_and_removed_items_are_reported() -> None:
    before = state({"lo", "docker0"}, {"/ overlay"}, {"memory/user"})
    after = state({"lo", "wtd1"}, {"/ overlay", "/tmp/x/merged overlay"},
                  {"memory/user", "memory/wharf"})
    assert changes(before, after) == [
        "network link added: wtd1",
        "network link removed: docker0",
        "mount added: /tmp/x/merged overlay",
        "cgroup added: memory/wharf",
    ]


def test_an_unchanged_host_reports_nothing() -> None:
    same = state({"lo"}, {"/ ext4"}, {"pids/x"})
    assert changes(same, same) == []
