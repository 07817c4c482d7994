"""moby's /events filter rules: fuzzy names, image with and without tag, labels all, the
``health_status`` prefix, every filter name of a non-swarm engine accepted."""

from __future__ import annotations

import pytest

from wharf.core.errors import InvalidParameter
from wharf.services.events import Event, EventFilter, strip_tag


def _event(type_: str, action: str, actor: str, **attributes: str) -> Event:
    return Event(type_, action, actor, attributes, 1)


DIE = _event("container", "die", "abc123", name="web-1", image="localhost:5000/app:v2",
             exitCode="0", tier="front", env="prod")
HEALTH = _event("container", "health_status: healthy", "abc123", name="web-1")
TAG = _event("image", "tag", "sha256:feed", name="docker.io/library/busybox:latest")
CONNECT = _event("network", "connect", "n" * 64, name="backend", container="abc123",
                 type="bridge")


def test_names_match_by_id_or_name_prefix_across_types() -> None:
    assert EventFilter({"container": ["web"]}).matches(DIE)
    assert EventFilter({"container": ["abc"]}).matches(DIE)
    assert not EventFilter({"container": ["db"]}).matches(DIE)
    assert EventFilter({"network": ["back"]}).matches(CONNECT)
    assert not EventFilter({"network": ["front"]}).matches(CONNECT)
    # moby checks the name filters on every event, not only on their own type
    assert not EventFilter({"container": ["abc"]}).matches(CONNECT)
    assert EventFilter({"volume": ["web"]}).matches(DIE)


def test_image_by_attribute_or_name_with_or_without_tag() -> None:
    assert EventFilter({"image": ["localhost:5000/app:v2"]}).matches(DIE)
    assert EventFilter({"image": ["localhost:5000/app"]}).matches(DIE)
    assert not EventFilter({"image": ["app"]}).matches(DIE)
    assert EventFilter({"image": ["busybox"]}).matches(TAG)
    assert EventFilter({"image": ["sha256:feed"]}).matches(TAG)
    assert strip_tag("not a ref!") == "not a ref!"


def test_event_exact_unless_a_prefix_action_is_named() -> None:
    assert EventFilter({"event": ["die"]}).matches(DIE)
    assert not EventFilter({"event": ["health_status"]}).matches(DIE)
    assert EventFilter({"event": ["health_status"]}).matches(HEALTH)
    assert EventFilter({"event": ["health_status: healthy"]}).matches(HEALTH)
    assert not EventFilter({"event": ["health_status: unhealthy"]}).matches(HEALTH)
    assert EventFilter({"event": ["die", "health_status"]}).matches(DIE)


def test_labels_all_must_match_and_other_names_any_value() -> None:
    assert EventFilter({"label": ["tier=front", "env"]}).matches(DIE)
    assert not EventFilter({"label": ["tier=front", "env=dev"]}).matches(DIE)
    assert EventFilter({"type": ["image", "container"]}).matches(DIE)
    assert not EventFilter({"type": ["image"], "event": ["die"]}).matches(DIE)
    assert EventFilter({"scope": ["local"]}).matches(DIE)
    assert not EventFilter({"scope": ["swarm"]}).matches(DIE)
    # swarm objects never exist on this engine: their filters match nothing
    for name in ("node", "service", "secret", "config", "plugin", "daemon"):
        assert not EventFilter({name: ["x"]}).matches(DIE)


@pytest.mark.parametrize("name", ["containers", "status", "before"])
def test_unknown_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidParameter, match=f"invalid filter '{name}'"):
        EventFilter({name: ["x"]}).matches_validated()
