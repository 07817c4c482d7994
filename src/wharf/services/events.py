"""The event bus behind ``GET /events``: Docker's event shape, a bounded history, live streams."""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from wharf.core.errors import InvalidParameter
from wharf.core.filters import label_matches
from wharf.core.reference import parse_reference

HISTORY_SIZE = 1000
SUBSCRIBER_BACKLOG = 1024


@dataclass(frozen=True)
class Event:
    type: str  # container | image | network | volume | daemon
    action: str  # create, start, die, "exec_create: sh -c ...", ...
    actor_id: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    time_nano: int = 0

    @property
    def base_action(self) -> str:
        """``exec_start: sh`` → ``exec_start`` (what the ``event`` filter matches)."""
        return self.action.split(":", 1)[0].strip()

    def to_docker(self) -> dict[str, Any]:
        message: dict[str, Any] = {}
        if self.type in ("container", "image"):
            message["status"] = self.action
            if self.actor_id:  # Docker leaves the legacy id out when empty (image prune)
                message["id"] = self.actor_id
            origin = self.attributes.get("image") if self.type == "container" else None
            if origin:
                message["from"] = origin
        message.update(
            {
                "Type": self.type,
                "Action": self.action,
                "Actor": {"ID": self.actor_id, "Attributes": dict(self.attributes)},
                "scope": "local",
                "time": self.time_nano // 1_000_000_000,
                "timeNano": self.time_nano,
            }
        )
        return message


def parse_event_time(raw: str, now: float) -> int | None:
    """Docker's ``since``/``until``: unix seconds (``123`` or ``123.456``) or a duration ago
    (``10m``); → nanoseconds since the epoch."""
    raw = raw.strip()
    if not raw:
        return None
    units = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    for suffix in ("ns", "us", "ms", "s", "m", "h"):
        number = raw[: -len(suffix)]
        if raw.endswith(suffix) and number.replace(".", "", 1).isdigit():
            return int((now - float(number) * units[suffix]) * 1e9)
    seconds, _, fraction = raw.partition(".")
    if not seconds.lstrip("-").isdigit() or (fraction and not fraction.isdigit()):
        raise InvalidParameter(f"failed to parse value as time or duration: {raw!r}")
    return int(seconds) * 1_000_000_000 + int((fraction + "000000000")[:9] or 0)


_FILTER_NAMES = frozenset({
    "config", "container", "daemon", "event", "image", "label", "network", "node", "plugin",
    "scope", "secret", "service", "type", "volume",
})
# the object filters that match an event's actor by id or ``name`` attribute, by prefix
_BY_NAME = ("config", "container", "daemon", "network", "node", "plugin", "secret", "service",
            "volume")
# an ``event`` filter naming one of these bare (no ``: ...``) matches actions by prefix
_PREFIX_ACTIONS = frozenset({"health_status", "exec_create", "exec_start"})


def strip_tag(image: str) -> str:
    """``docker.io/library/busybox:latest`` → ``busybox`` (unparsable: as given)."""
    try:
        return parse_reference(image).familiar_name
    except InvalidParameter:
        return image


@dataclass(frozen=True)
class EventFilter:
    """moby's event filter: every filter name given must match (values of one name: any),
    ``label`` values all; names absent match everything."""

    filters: Mapping[str, list[str]] = field(default_factory=dict)

    def matches_validated(self) -> None:
        """400 for an unknown filter name (before the stream starts)."""
        for name in self.filters:
            if name not in _FILTER_NAMES:
                raise InvalidParameter(f"invalid filter '{name}'")

    def matches(self, event: Event) -> bool:
        return (self._action_is(event) and self._exact("type", event.type)
                and self._exact("scope", "local") and self._image_is(event)
                and all(self._named(name, event) for name in _BY_NAME)
                and all(label_matches(event.attributes, v) for v in self._values("label")))

    def _values(self, name: str) -> list[str]:
        return list(self.filters.get(name) or [])

    def _exact(self, name: str, *candidates: str) -> bool:
        wanted = self._values(name)
        return not wanted or any(c in wanted for c in candidates)

    def _prefix(self, name: str, *candidates: str) -> bool:
        wanted = self._values(name)
        return not wanted or any(c.startswith(w) for w in wanted for c in candidates)

    def _action_is(self, event: Event) -> bool:
        if any(v in _PREFIX_ACTIONS for v in self._values("event")):
            return self._prefix("event", event.action)
        return self._exact("event", event.action)

    def _named(self, name: str, event: Event) -> bool:
        """Fuzzy: the actor's id or its ``name`` attribute starts with a value."""
        actor_name = event.attributes.get("name")
        return self._prefix(name, event.actor_id, *([actor_name] if actor_name else []))

    def _image_is(self, event: Event) -> bool:
        """The image event's id or ``name``, a container event's ``image``, with and without
        the tag."""
        key = "name" if event.type == "image" else "image"
        image = event.attributes.get(key, "")
        return self._exact("image", event.actor_id, image, strip_tag(event.actor_id),
                           strip_tag(image))


class EventBus:
    """Publishes events to live subscribers and keeps the last ``HISTORY_SIZE`` for ``since``."""

    def __init__(self, history_size: int = HISTORY_SIZE) -> None:
        self._history: collections.deque[Event] = collections.deque(maxlen=history_size)
        self._subscribers: set[asyncio.Queue[Event]] = set()

    def publish(
        self, type_: str, action: str, actor_id: str, attributes: Mapping[str, str] | None = None
    ) -> Event:
        event = Event(type_, action, actor_id, dict(attributes or {}), time.time_ns())
        self._history.append(event)
        for queue in self._subscribers:
            if queue.qsize() < SUBSCRIBER_BACKLOG:
                queue.put_nowait(event)
        return event

    @property
    def listeners(self) -> int:
        """How many streams are open (``NEventsListener``)."""
        return len(self._subscribers)

    def history(self) -> list[Event]:
        return list(self._history)

    async def stream(
        self, since_ns: int | None, until_ns: int | None, event_filter: EventFilter
    ) -> AsyncIterator[Event]:
        """Past events from ``since``, then live ones until ``until`` (forever without it)."""
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._subscribers.add(queue)
        try:
            now_ns = time.time_ns()
            if since_ns is not None:
                for event in list(self._history):
                    if event.time_nano < since_ns:
                        continue
                    if until_ns is not None and event.time_nano > until_ns:
                        break
                    if event_filter.matches(event):
                        yield event
            if until_ns is not None and until_ns <= now_ns:
                return
            while True:
                timeout = None if until_ns is None else (until_ns - time.time_ns()) / 1e9
                if timeout is not None and timeout <= 0:
                    return
                try:
                    event = await asyncio.wait_for(queue.get(), timeout)
                except TimeoutError:
                    return
                if until_ns is not None and event.time_nano > until_ns:
                    return
                if event_filter.matches(event):
                    yield event
        finally:
            self._subscribers.discard(queue)
