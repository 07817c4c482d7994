"""``GET /containers/json`` filters: several labels must all match (moby's MatchKVList), as
docker-compose 1.29 relies on (project + service + oneoff labels); other filters any of theirs."""

from __future__ import annotations

from wharf.services.container_record import ContainerRecord
from wharf.services.filters import ContainerQuery


def record(name: str, labels: dict[str, str]) -> ContainerRecord:
    return ContainerRecord(name * 8, name, "2024-01-01T00:00:00Z", "sha256:" + "1" * 64, "sh",
                           [], {"Labels": labels}, {})


WRITER = record("writer", {"project": "p", "service": "writer"})
WEB = record("web", {"project": "p", "service": "web"})


def names(filters: dict[str, list[str]]) -> list[str]:
    return [r.name for r in ContainerQuery(filters, all_=True).select([WRITER, WEB])]


def test_every_label_must_match() -> None:
    assert names({"label": ["project=p", "service=web"]}) == ["web"]
    assert names({"label": ["project=p"]}) == ["writer", "web"]
    assert names({"label": ["project=p", "service=db"]}) == []


def test_names_match_any_of_theirs() -> None:
    assert names({"name": ["writer", "web"]}) == ["writer", "web"]
