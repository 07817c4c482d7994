import pytest

from wharf.compose.errors import ComposeError
from wharf.compose.order import find_cycle, start_levels, start_order, stop_order


def test_dependencies_first_stable_by_name() -> None:
    deps = {"web": ["db", "cache"], "db": [], "cache": [], "worker": ["db"], "a": []}
    assert start_order(deps) == ["a", "cache", "db", "web", "worker"]
    assert stop_order(deps) == ["worker", "web", "db", "cache", "a"]


def test_chain() -> None:
    assert start_order({"a": ["b"], "b": ["c"], "c": []}) == ["c", "b", "a"]


def test_cycle_is_named() -> None:
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["a"]}) == ["a", "a"]
    assert find_cycle({"a": ["b"], "b": []}) is None
    with pytest.raises(ComposeError, match="dependency cycle detected: a -> b -> a"):
        start_order({"a": ["b"], "b": ["a"]})


def test_levels_count_the_deepest_dependency() -> None:
    deps = {"proxy": ["web"], "web": ["db", "cache"], "cache": [], "db": ["disk"], "disk": [],
            "lone": ["elsewhere"]}
    assert start_levels(deps) == {"cache": 0, "disk": 0, "lone": 0, "db": 1, "web": 2,
                                  "proxy": 3}
