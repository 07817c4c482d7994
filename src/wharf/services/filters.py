"""``GET /containers/json`` filters (id, name, status, label, exited, ancestor, health, before,
since) and the listing's ``all``/``limit`` rules."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from wharf.core.errors import InvalidParameter
from wharf.core.filters import label_matches
from wharf.services import container_filters_ports as by_port
from wharf.services.container_record import ContainerRecord

HEALTH_STATUSES = ("starting", "healthy", "unhealthy", "none")
STATUSES = ("created", "restarting", "running", "removing", "paused", "exited", "dead")
KNOWN = frozenset(
    {
        "id",
        "name",
        "status",
        "label",
        "exited",
        "ancestor",
        "before",
        "since",
        "volume",
        "network",
        "health",
        "isolation",
        "is-task",
        "publish",
        "expose",
    }
)


@dataclass(frozen=True)
class ContainerQuery:
    filters: Mapping[str, list[str]]
    all_: bool = False
    limit: int = -1
    # image ref → image id (for ``ancestor``); None when the ref does not resolve
    resolve_image: Callable[[str], str | None] = lambda _ref: None

    def validate(self) -> None:
        for name, values in self.filters.items():
            if name not in KNOWN:
                raise InvalidParameter(f"invalid filter '{name}'")
            if name == "status":
                for value in values:
                    if value not in STATUSES:
                        raise InvalidParameter(f"invalid filter 'status={value}'")
            if name == "health":
                for value in values:
                    if value not in HEALTH_STATUSES:
                        raise InvalidParameter(f"Unrecognised filter value for health: {value}")
            if name == "exited":
                for value in values:
                    if not value.lstrip("-").isdigit():
                        raise InvalidParameter(f"invalid filter 'exited={value}'")
            if name in ("publish", "expose"):
                by_port.port_keys(name, values)
            if name == "is-task":
                by_port.task_filter(values)

    def select(self, newest_first: list[ContainerRecord]) -> list[ContainerRecord]:
        self.validate()
        by_ref = {r.id: r for r in newest_first} | {r.name: r for r in newest_first}
        before = self._boundary("before", by_ref)
        since = self._boundary("since", by_ref)
        show_all = (
            self.all_
            or self.limit > 0
            or bool(before or since)
            or bool(self.filters.get("status") or self.filters.get("exited"))
        )
        chosen = []
        for record in newest_first:
            if before is not None and record.created >= before.created:
                continue
            if since is not None and record.created <= since.created:
                continue
            if not show_all and record.state.status not in ("running", "paused", "restarting"):
                continue
            if self._matches(record):
                chosen.append(record)
        return chosen[: self.limit] if self.limit > 0 else chosen

    def _boundary(self, key: str, by_ref: dict[str, ContainerRecord]) -> ContainerRecord | None:
        values = self.filters.get(key) or []
        if not values:
            return None
        ref = values[0].lstrip("/")
        record = by_ref.get(ref) or next((r for r in by_ref.values() if r.id.startswith(ref)), None)
        if record is None:
            raise InvalidParameter(f"No such container: {values[0]}")
        return record

    def _matches(self, record: ContainerRecord) -> bool:
        if self.filters.get("is-task") and by_port.task_filter(self.filters["is-task"]):
            return False  # swarm tasks only: wharf has none
        if self.filters.get("publish") and not by_port.publishes(
                record, by_port.port_keys("publish", self.filters["publish"])):
            return False
        if self.filters.get("expose") and not by_port.exposes(
                record, by_port.port_keys("expose", self.filters["expose"])):
            return False
        tests: dict[str, Callable[[str], bool]] = {
            "id": record.id.startswith,
            "name": lambda v: re.search(v, "/" + record.name) is not None,
            "status": lambda v: record.state.status == v,
            "label": lambda v: label_matches(record.labels, v),
            "exited": lambda v: (
                record.state.status == "exited" and record.state.exit_code == int(v)
            ),
            "ancestor": lambda v: self._is_ancestor(record, v),
            "network": lambda v: by_port.on_network(record, v),
            "health": lambda v: health_status(record) == v,
            "isolation": lambda v: v == str(record.host_config.get("Isolation") or ""),
            "volume": lambda v: any(v in (m.get("Name"), m.get("Source"), m.get("Destination"))
                                    for m in record.mounts),
        }
        for name, values in self.filters.items():
            test = tests.get(name)
            if test is None or not values:
                continue
            # several labels must all match (moby's MatchKVList); other filters any of theirs
            matched = all if name == "label" else any
            if not matched(test(value) for value in values):
                return False
        return True

    def _is_ancestor(self, record: ContainerRecord, ref: str) -> bool:
        image = str(record.config.get("Image", ""))
        if ref in (image, record.image_id) or record.image_id.startswith("sha256:" + ref):
            return True
        if image.endswith(":latest") and image[: -len(":latest")] == ref:
            return True
        return self.resolve_image(ref) == record.image_id


def health_status(record: ContainerRecord) -> str:
    """The ``health`` filter's value: the check's status, ``none`` without a check."""
    health = record.state.health
    return str(health.get("Status")) if health else "none"


PRUNE_KEYS = frozenset({"label", "label!", "until"})


def prune_matcher(filters: Mapping[str, list[str]], now: float,
                  parse_time: Callable[[str, float], float | None],
                  created_ns: Callable[[ContainerRecord], float]) -> Callable[
                      [ContainerRecord], bool]:
    """``POST /containers/prune``'s filters as dockerd takes them (``until``, ``label``,
    ``label!``); any other name is a 400 before anything is removed."""
    for key in filters:
        if key not in PRUNE_KEYS:
            raise InvalidParameter(f"invalid filter '{key}'")
    until = [parse_time(v, now) for v in filters.get("until", [])]

    def matches(record: ContainerRecord) -> bool:
        labels = record.labels
        return (all(label_matches(labels, v) for v in filters.get("label", []))
                and not any(label_matches(labels, v) for v in filters.get("label!", []))
                and all(u is None or created_ns(record) < u for u in until))

    return matches
