"""Event shape, filters, since/until replay."""

from __future__ import annotations

import asyncio
import time

import pytest

from wharf.core.errors import InvalidParameter
from wharf.services.events import EventBus, EventFilter, parse_event_time


def test_docker_shape() -> None:
    bus = EventBus()
    event = bus.publish("container", "start", "c" * 64, {"image": "busybox", "name": "x"})
    shaped = event.to_docker()
    assert shaped["Type"] == "container" and shaped["Action"] == "start"
    assert shaped["status"] == "start" and shaped["id"] == "c" * 64 and shaped["from"] == "busybox"
    assert shaped["Actor"] == {"ID": "c" * 64, "Attributes": {"image": "busybox", "name": "x"}}
    assert shaped["scope"] == "local"
    assert shaped["time"] == shaped["timeNano"] // 1_000_000_000


def test_filters() -> None:
    bus = EventBus()
    start = bus.publish("container", "start", "abc123", {"name": "web", "image": "busybox:latest",
                                                          "tier": "front"})
    exec_start = bus.publish("container", "exec_start: sh -c true", "abc123", {"name": "web"})
    tag = bus.publish("image", "tag", "sha256:1", {"name": "busybox:latest"})
    assert EventFilter({"container": ["web"]}).matches(start)
    assert EventFilter({"container": ["abc"]}).matches(start)
    assert not EventFilter({"container": ["db"]}).matches(start)
    assert EventFilter({"event": ["exec_start"]}).matches(exec_start)
    assert not EventFilter({"event": ["start"]}).matches(exec_start)
    assert EventFilter({"type": ["image"]}).matches(tag)
    assert not EventFilter({"type": ["image"]}).matches(start)
    assert EventFilter({"image": ["busybox"]}).matches(start)
    assert EventFilter({"label": ["tier=front"]}).matches(start)
    assert not EventFilter({"label": ["tier=back"]}).matches(start)
    with pytest.raises(InvalidParameter):
        EventFilter({"bogus": ["1"]}).matches_validated()


def test_parse_event_time() -> None:
    assert parse_event_time("12.5", 0) == 12_500_000_000
    assert parse_event_time("100", 0) == 100_000_000_000
    assert parse_event_time("10s", 100.0) == 90_000_000_000
    assert parse_event_time("", 0) is None
    with pytest.raises(InvalidParameter):
        parse_event_time("yesterday", 0)


def test_since_replays_history_then_live_until() -> None:
    async def scenario() -> list[str]:
        bus = EventBus()
        bus.publish("container", "create", "a")
        since = time.time_ns()
        bus.publish("container", "start", "a")
        until = time.time_ns() + 200_000_000
        seen: list[str] = []

        async def consume() -> None:
            async for event in bus.stream(since, until, EventFilter()):
                seen.append(event.action)

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.05)
        bus.publish("container", "die", "a")
        await asyncio.wait_for(task, 2)
        bus.publish("container", "destroy", "a")
        return seen

    assert asyncio.run(scenario()) == ["start", "die"]


def test_history_is_bounded() -> None:
    bus = EventBus(history_size=3)
    for n in range(10):
        bus.publish("container", "start", str(n))
    assert [e.actor_id for e in bus.history()] == ["7", "8", "9"]
