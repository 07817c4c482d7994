"""``GET /networks`` filters with moby's rules and messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.services.networks_fakes import Harness

from wharf.core.errors import InvalidParameter


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    harness = Harness(tmp_path)
    harness.start()
    harness.create("front-net", labels={"tier": "front", "env": "prod"})
    harness.create("back-net", labels={"tier": "back"})
    return harness


def names(h: Harness, **filters: list[str]) -> list[str]:
    return sorted(n["Name"] for n in h.service.list(filters))


def test_type_driver_scope(h: Harness) -> None:
    assert names(h, type=["builtin"]) == ["bridge", "host", "none"]
    assert names(h, type=["custom"]) == ["back-net", "front-net"]
    assert names(h, type=["custom", "builtin"]) == names(h)
    assert names(h, driver=["null"]) == ["none"]
    assert names(h, driver=["brid"]) == []  # exact
    assert names(h, scope=["local"]) == names(h)
    assert names(h, scope=["swarm"]) == []


def test_name_and_id_are_regular_expressions(h: Harness) -> None:
    assert names(h, name=["net"]) == ["back-net", "front-net"]
    assert names(h, name=["^front"]) == ["front-net"]
    assert names(h, name=["front", "none"]) == ["front-net", "none"]
    network_id = h.service.resolve("back-net").id
    assert names(h, id=[network_id[:6]]) == ["back-net"]
    assert names(h, id=[network_id[20:30]]) == ["back-net"]


def test_labels_all_must_match(h: Harness) -> None:
    assert names(h, label=["tier"]) == ["back-net", "front-net"]
    assert names(h, label=["tier=front"]) == ["front-net"]
    assert names(h, label=["tier", "env=prod"]) == ["front-net"]
    assert names(h, label=["tier=front", "tier=back"]) == []


def test_dangling(h: Harness) -> None:
    h.service.join("e" * 64, "front-net")
    assert names(h, dangling=["true"]) == ["back-net"]
    assert names(h, dangling=["0"]) == ["bridge", "front-net", "host", "none"]


def test_bad_filters(h: Harness) -> None:
    for filters, message in (
        ({"colour": ["red"]}, "invalid filter 'colour'"),
        ({"type": ["other"]}, "invalid filter: 'type'='other'"),
        ({"dangling": ["yes"]}, "invalid value for filter 'dangling', must be \"true\" "
                                "(or \"1\"), or \"false\" (or \"0\")"),
        ({"dangling": ["true", "false"]}, 'got more than one value for filter key "dangling"'),
    ):
        with pytest.raises(InvalidParameter) as caught:
            h.service.list(filters)
        assert str(caught.value) == message
