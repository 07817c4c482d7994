"""The event bus behind ``GET /events``: Docker's event shape, a bounded history, live streams."""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wharf.core.errors import InvalidParameter
from wharf.core.filters import label_matches

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


_FILTER_NAMES = frozenset(
    {
        "type",
        "event",
        "container",
        "image",
        "label",
        "network",
        "volume",
        "daemon",
        "scope",
        "config",
        "node",
        "plugin",
        "secret",
        "service",
    }
)


@dataclass(frozen=True)
class EventFilter:
    filters: Mapping[str, list[str]] = field(default_factory=dict)

    def matches_validated(self) -> None:
        """400 for an unknown filter name (before the stream starts)."""
        for name in self.filters:
            if name not in _FILTER_NAMES:
                raise InvalidParameter(f"invalid filter '{name}'")

    def matches(self, event: Event) -> bool:
        checks: dict[str, Callable[[str], bool]] = {
            "type": lambda v: event.type == v,
            "event": lambda v: event.base_action == v or event.action == v,
            "container": lambda v: event.type == "container" and self._actor_is(event, v),
            "image": lambda v: self._image_is(event, v),
            "label": lambda v: self._label_is(event, v),
            "network": lambda v: event.type == "network" and self._actor_is(event, v),
            "volume": lambda v: event.type == "volume" and self._actor_is(event, v),
            "daemon": lambda v: event.type == "daemon" and self._actor_is(event, v),
            "scope": lambda v: v == "local",
        }
        for name, wanted in self.filters.items():
            check = checks.get(name)
            if check is None:
                return False
            if wanted and not any(check(value) for value in wanted):
                return False
        return True

    @staticmethod
    def _actor_is(event: Event, value: str) -> bool:
        return event.actor_id.startswith(value) or event.attributes.get("name") == value

    @staticmethod
    def _image_is(event: Event, value: str) -> bool:
        if event.type == "image":
            return event.actor_id == value or event.attributes.get("name") == value
        image = event.attributes.get("image", "")
        return image == value or image.split(":")[0] == value

    @staticmethod
    def _label_is(event: Event, value: str) -> bool:
        return label_matches(event.attributes, value)


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
